// `zt incidents`: incidents from Temporal visibility, newest first, with time to recovery for closed ones;
// or, with --source ledger, the closed incidents whose reports the ledger keeps, in the same row shape,
// including those whose Temporal history is past retention.
import { Option, InvalidArgumentError, type Command } from 'commander';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { LedgerIncidentReport } from '../ledger/report-queries';
import { listIncidentReports } from '../ledger/report-queries';
import type { IncidentReport } from '../signals/incident';
import { loadCliConfig } from './config';
import { mapWithConcurrency } from './concurrency';
import { CliError } from './errors';
import { assertServiceName, incidentRowFrom, incidentsQuery, incidentsTable, newestFirst, type IncidentFilter, type IncidentRow } from './incident-rows';
import { LEDGER_ENVIRONMENT_HELP, withLedger } from './ledger-access';
import { note, printJson, printText } from './output';
import { withTemporal } from './temporal';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 10_000;
/** Parallel result fetches for TTR: quick for a page of incidents, gentle on the frontend. */
const RESULT_CONCURRENCY = 8;

interface IncidentsOptions {
  json?: boolean;
  open?: boolean;
  closed?: boolean;
  service?: string;
  limit: number;
  source: IncidentSource;
}

const SOURCES = ['temporal', 'ledger'] as const;
type IncidentSource = (typeof SOURCES)[number];

export function registerIncidentsCommand(program: Command): void {
  program
    .command('incidents')
    .description('list incidents, newest first (open and closed unless filtered)')
    .option('--json', 'print [{incidentId, workflowId, service, class, severity, phase, outcome, startedAt, ttrSeconds}]')
    .addOption(new Option('--open', 'only incidents still open').conflicts('closed'))
    .addOption(new Option('--closed', 'only closed incidents').conflicts('open'))
    .option('--service <name>', 'only incidents of this service')
    .option('--limit <n>', `at most this many incidents (1-${MAX_LIMIT})`, parseLimit, DEFAULT_LIMIT)
    .addOption(
      new Option('--source <where>', 'temporal: visibility, open and closed; ledger: closed incidents from the audit ledger, also past Temporal retention')
        .choices(SOURCES)
        .default('temporal'),
    )
    .addHelpText('after', `\nWith --source ledger:${LEDGER_ENVIRONMENT_HELP.replace(/^\nEnvironment:/, '')}`)
    .action(async (opts: IncidentsOptions) => {
      if (opts.source === 'ledger') return listFromLedger(opts);
      const config = loadCliConfig();
      const filter: IncidentFilter = {
        ...(opts.open ? { state: 'open' as const } : opts.closed ? { state: 'closed' as const } : {}),
        ...(opts.service !== undefined ? { service: opts.service } : {}),
      };
      const query = incidentsQuery(filter);
      const rows = await withTemporal(config, ({ client }) => listIncidents(client, query, opts.limit));
      if (opts.json) return printJson(rows);
      printText(rows.length ? incidentsTable(rows) : 'no incidents match');
    });
}

async function listFromLedger(opts: IncidentsOptions): Promise<void> {
  if (opts.open) throw new CliError('--open cannot be used with --source ledger: the ledger records incidents once they are closed');
  const service = opts.service !== undefined ? assertServiceName(opts.service) : undefined;
  const reports = await withLedger((ledger) => listIncidentReports(ledger, { service, limit: opts.limit }));
  const rows = (reports ?? []).map(incidentRowFromReport).sort(newestFirst);
  if (opts.json) return printJson(rows);
  printText(rows.length ? incidentsTable(rows) : reports === null ? 'no incidents recorded yet' : 'no incidents match');
}

/** A closed incident's contract row from its ledger report: the same values visibility would have shown. */
export function incidentRowFromReport({ key, report: r }: Pick<LedgerIncidentReport, 'key' | 'report'>): IncidentRow {
  return {
    incidentId: r.incidentId ?? key,
    workflowId: r.workflowId,
    service: r.service ?? null,
    class: r.class ?? null,
    severity: r.severity ?? null,
    phase: 'closed',
    outcome: r.outcome ?? null,
    startedAt: r.startedAt,
    ttrSeconds: typeof r.ttrSeconds === 'number' ? r.ttrSeconds : null,
  };
}

async function listIncidents(client: Client, query: string, limit: number): Promise<IncidentRow[]> {
  const executions: WorkflowExecutionInfo[] = [];
  for await (const execution of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
    executions.push(execution);
    if (executions.length >= limit) break;
  }
  const ttrs = await mapWithConcurrency(executions, RESULT_CONCURRENCY, (execution) => ttrOf(client, execution));
  return executions.map((execution, i) => incidentRowFrom(execution, ttrs[i] ?? null)).sort(newestFirst);
}

/** Only a completed run has a report; open, failed or terminated ones have no time to recovery. */
async function ttrOf(client: Client, execution: WorkflowExecutionInfo): Promise<number | null> {
  if (execution.status.name !== 'COMPLETED') return null;
  try {
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId, { followRuns: false });
    const report = (await handle.result()) as Partial<IncidentReport> | undefined;
    return typeof report?.ttrSeconds === 'number' ? report.ttrSeconds : null;
  } catch (err) {
    note(`warning: no report for ${execution.workflowId} (run ${execution.runId}): ${(err as Error).message}`);
    return null;
  }
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new InvalidArgumentError(`expected an integer from 1 to ${MAX_LIMIT}`);
  return n;
}
