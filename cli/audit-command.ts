// `zt audit verify` and `zt audit list`: the audit ledger, read where the workers write it
// (DATABASE_URL, else the embedded PGlite under .zt/). verify recomputes the hash chain and exits 1
// naming the first broken row, so a cron job or CI step can alarm on it. Nothing here writes: the
// schema is never created or migrated by a reader.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import pino from 'pino';
import type { Ledger } from '../ledger/ledger';
import { openLedger } from '../ledger/open';
import { LedgerConfigError, ledgerSettingsFromEnv } from '../ledger/settings';
import { ledgerKindSchema, type LedgerEntry, type VerifyResult } from '../ledger/types';
import { CliError, EXIT_FAILURE } from './errors';
import { parseCount } from './governor-commands';
import { note, printJson, printText } from './output';
import { formatTable } from './table';

const LEDGER_ENVIRONMENT_HELP = `
Environment:
  DATABASE_URL       the ledger's PostgreSQL (unset: the embedded PGlite the workers use)
  ZT_LEDGER_SCHEMA   its schema (default zero_touch)
  ZT_LEDGER_DIR      the embedded PGlite's data directory (default .zt/ledger-pglite)`;

export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description('the audit ledger: verify its hash chain, list what it recorded')
    .addHelpText('after', LEDGER_ENVIRONMENT_HELP);
  audit
    .command('verify')
    .description('recompute the hash chain over every row: exit 0 when intact, 1 naming the first broken row')
    .option('--json', 'print {ok: true, rows, head: {seq, hash}} or {ok: false, rows, firstBroken: {seq, kind, key, reason, detail}}')
    .action(async (opts: { json?: boolean }) => {
      const result = (await withLedger((ledger) => ledger.verifyChain())) ?? { ok: true, rows: 0, head: null };
      if (opts.json) printJson(result);
      else printText(verifyText(result));
      if (!result.ok) process.exitCode = EXIT_FAILURE;
    });
  audit
    .command('list')
    .description('the newest ledger rows')
    .option('--kind <kind>', 'only this kind: incident-report, notification, drill, human-resolution, …')
    .option('--limit <n>', 'at most this many rows, newest first', parseCount, 20)
    .option('--json', 'print [{seq, recordedAt, kind, key, body, prevHash, hash}]')
    .action(async (opts: { kind?: string; limit: number; json?: boolean }) => {
      if (opts.kind !== undefined && !ledgerKindSchema.safeParse(opts.kind).success) throw new CliError(`--kind "${opts.kind}" is not a ledger kind (lowercase letters, digits, "-")`);
      if (opts.limit < 1 || opts.limit > 10_000) throw new CliError('--limit must be between 1 and 10000');
      const rows = (await withLedger((ledger) => ledger.list({ kind: opts.kind, limit: opts.limit }))) ?? [];
      if (opts.json) return printJson(rows);
      printText(rows.length ? listText(rows) : 'no ledger rows');
    });
}

export function verifyText(result: VerifyResult): string {
  if (result.ok) {
    const head = result.head ? `\nhead: seq ${result.head.seq} hash ${result.head.hash}` : '';
    return `ledger chain intact: ${result.rows} rows${head}`;
  }
  const b = result.firstBroken;
  return `ledger chain BROKEN at seq ${b.seq} (${b.kind} ${b.key}): ${b.reason}\n${b.detail}\n${result.rows} rows before it are intact`;
}

export function listText(rows: LedgerEntry[]): string {
  return formatTable(
    ['SEQ', 'RECORDED', 'KIND', 'KEY', 'HASH'],
    rows.map((r) => [r.seq, r.recordedAt, r.kind, r.key, r.hash.slice(0, 12)]),
  );
}

/**
 * Opens the ledger read-only for one command. null when there is none yet (nothing recorded): an empty
 * ledger, not an error. An unreachable database is a request that cannot be carried out (exit 2).
 */
async function withLedger<T>(run: (ledger: Ledger) => Promise<T>): Promise<T | null> {
  let settings;
  try {
    settings = ledgerSettingsFromEnv();
  } catch (err) {
    if (err instanceof LedgerConfigError) throw new CliError(err.message);
    throw err;
  }
  if (!settings.databaseUrl && !existsSync(settings.dataDir)) {
    note(`no embedded ledger at ${settings.dataDir} yet (nothing recorded; set DATABASE_URL for a PostgreSQL ledger)`);
    return null;
  }
  // Library chatter goes to stderr so `--json` output stays pure.
  const logger = pino({ name: 'zt', level: process.env.ZT_LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const opened = await openLedger({ ...settings, logger, migrate: false }).catch((err: unknown) => {
    throw new CliError(`cannot open the ledger: ${(err as Error).message}`);
  });
  try {
    if (!(await opened.ledger.exists())) {
      note(`no ledger in schema ${opened.ledger.schema} of ${opened.where} yet (nothing recorded)`);
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
