// How the CLI reads the audit ledger, where the workers write it (DATABASE_URL, else the embedded PGlite
// under .zt/, reached through its server claim file when a worker serves it): `zt audit`, `zt report`,
// `zt incidents --source ledger` and `zt show`'s fallback. Nothing here writes: a reader never creates
// or migrates the schema.
import { existsSync } from 'node:fs';
import pino from 'pino';
import type { Ledger } from '../ledger/ledger';
import { openLedger } from '../ledger/open';
import { INCIDENT_REPORT_KIND, type LedgerIncidentReport } from '../ledger/report-queries';
import { LedgerConfigError, ledgerSettingsFromEnv } from '../ledger/settings';
import type { IncidentReport } from '../signals/incident';
import { CliError } from './errors';
import { note } from './output';

export const LEDGER_ENVIRONMENT_HELP = `
Environment:
  DATABASE_URL       the ledger's PostgreSQL (unset: the embedded PGlite the workers use)
  ZT_LEDGER_SCHEMA   its schema (default zero_touch)
  ZT_LEDGER_DIR      the embedded PGlite's data directory (default .zt/ledger-pglite)`;

export interface WithLedgerOptions {
  /** Told why there is no ledger yet (default: a note on stderr). */
  onMissing?: (why: string) => void;
}

/**
 * Opens the ledger read-only for one command. null when there is none yet (nothing recorded): an empty
 * ledger, not an error. An unreachable database is a request that cannot be carried out (exit 2).
 */
export async function withLedger<T>(run: (ledger: Ledger) => Promise<T>, opts: WithLedgerOptions = {}): Promise<T | null> {
  const missing = opts.onMissing ?? note;
  let settings;
  try {
    settings = ledgerSettingsFromEnv();
  } catch (err) {
    if (err instanceof LedgerConfigError) throw new CliError(err.message);
    throw err;
  }
  if (!settings.databaseUrl && !existsSync(settings.dataDir)) {
    missing(`no embedded ledger at ${settings.dataDir} yet (nothing recorded; set DATABASE_URL for a PostgreSQL ledger)`);
    return null;
  }
  // Library chatter goes to stderr so `--json` output stays pure.
  const logger = pino({ name: 'zt', level: process.env.ZT_LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const opened = await openLedger({ ...settings, logger, migrate: false }).catch((err: unknown) => {
    throw new CliError(`cannot open the ledger: ${(err as Error).message}`);
  });
  try {
    if (!(await opened.ledger.exists())) {
      missing(`no ledger in schema ${opened.ledger.schema} of ${opened.where} yet (nothing recorded)`);
      return null;
    }
    return await run(opened.ledger);
  } catch (err) {
    if (unreachable(err)) throw new CliError(`cannot reach the ledger database (${opened.where}): ${(err as Error).message}`);
    throw err;
  } finally {
    await opened.close();
  }
}

/** Connection failures carry no SQLSTATE (ECONNREFUSED, timeouts) or a class 08 / 57P one. */
function unreachable(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof CliError) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || code.startsWith('08') || code.startsWith('57P') || code === '3D000' || code === '28000' || code === '28P01';
}

interface ReportRow {
  seq: string;
  recorded_at: Date;
  key: string;
  hash: string;
  body: IncidentReport;
}

const REPORT_COLUMNS = 'seq, recorded_at, key, hash, body';
const PAGE = 1000;

function toReport(r: ReportRow): LedgerIncidentReport {
  return { seq: Number(r.seq), recordedAt: r.recorded_at.toISOString(), key: r.key, hash: r.hash, report: r.body };
}

export interface AllReportsQuery {
  /** Only rows recorded at or after (a report is recorded once its incident has ended). */
  recordedFrom?: Date;
  service?: string;
  class?: string;
}

/**
 * Every incident report matching, newest first, read page by page in one snapshot: success metrics
 * must count them all, where listIncidentReports stops at its limit.
 */
export function allIncidentReports(ledger: Ledger, q: AllReportsQuery = {}): Promise<LedgerIncidentReport[]> {
  const params: unknown[] = [INCIDENT_REPORT_KIND];
  const where = ['kind = $1'];
  if (q.recordedFrom) where.push(`recorded_at >= $${params.push(q.recordedFrom.toISOString())}`);
  if (q.service !== undefined) where.push(`body->>'service' = $${params.push(q.service)}`);
  if (q.class !== undefined) where.push(`body->>'class' = $${params.push(q.class)}`);
  const beforeSeq = `$${params.length + 1}`;
  const sql = `SELECT ${REPORT_COLUMNS} FROM ${ledger.table} WHERE ${where.join(' AND ')} AND seq < ${beforeSeq} ORDER BY seq DESC LIMIT ${PAGE}`;
  return ledger.read(async (client) => {
    const reports: LedgerIncidentReport[] = [];
    let before = Number.MAX_SAFE_INTEGER;
    for (;;) {
      const { rows } = await client.query<ReportRow>(sql, [...params, before]);
      reports.push(...rows.map(toReport));
      if (rows.length < PAGE) return reports;
      before = Number(rows.at(-1)!.seq);
    }
  });
}

/**
 * The report an operator's ref names: an incident ID (the row's key, or the report's own incidentId) or a
 * workflow id (its newest report: a key reused by later incidents has one report per run).
 */
export function findIncidentReport(ledger: Ledger, ref: { incidentId: string } | { workflowId: string }): Promise<LedgerIncidentReport | null> {
  const [condition, value] =
    'incidentId' in ref ? [`(key = $2 OR body->>'incidentId' = $2)`, ref.incidentId] : [`body->>'workflowId' = $2`, ref.workflowId];
  const sql = `SELECT ${REPORT_COLUMNS} FROM ${ledger.table} WHERE kind = $1 AND ${condition} ORDER BY seq DESC LIMIT 1`;
  return ledger.read(async (client) => {
    const { rows } = await client.query<ReportRow>(sql, [INCIDENT_REPORT_KIND, value]);
    return rows[0] ? toReport(rows[0]) : null;
  });
}
