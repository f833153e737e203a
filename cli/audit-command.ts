// `zt audit verify` and `zt audit list`: the audit ledger, read where the workers write it
// (DATABASE_URL, else the embedded PGlite under .zt/). verify recomputes the hash chain and exits 1
// naming the first broken row, so a cron job or CI step can alarm on it. Nothing here writes: the
// schema is never created or migrated by a reader.
import type { Command } from 'commander';
import { ledgerKindSchema, type LedgerEntry, type VerifyResult } from '../ledger/types';
import { CliError, EXIT_FAILURE } from './errors';
import { parseCount } from './governor-commands';
import { LEDGER_ENVIRONMENT_HELP, withLedger } from './ledger-access';
import { printJson, printText } from './output';
import { formatTable } from './table';

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
