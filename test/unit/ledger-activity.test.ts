// recordInLedger's error contract, on a stand-in ledger: a bad entry is terminal (InvalidRequestError,
// which the workflow lists as non-retryable); a database that is down or drops the connection gives a
// plain error Temporal retries; a retry of an entry already recorded returns the recorded row. And the
// `zt audit` commands' flags and words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { recordInLedger } from '../../activities/ledger';
import type { ActivityDeps } from '../../activities/deps';
import { InvalidRequestError } from '../../activities/errors';
import { listText, verifyText } from '../../cli/audit-command';
import { buildProgram } from '../../cli/program';
import { parseConfig } from '../../config/load';
import type { Ledger } from '../../ledger/ledger';
import { LedgerValidationError } from '../../ledger/ledger';
import type { AppendResult, NewEntry } from '../../ledger/types';
import { createLogger } from '../../observability/logger';
import type { Pm2Client } from '../../pm2/client';

const row = { seq: 7, recordedAt: '2026-03-01T10:00:00.000Z', kind: 'incident-report', key: 'INC-1', body: { outcome: 'resolved' }, prevHash: 'a'.repeat(64), hash: 'b'.repeat(64) };

function depsWith(append: (entry: NewEntry) => Promise<AppendResult>): ActivityDeps {
  return { config: parseConfig({}), pm2: {} as Pm2Client, logger: createLogger('test'), ledger: { append } as unknown as Ledger };
}

const sqlError = (code: string, message = 'refused') => Object.assign(new Error(message), { code });

test('an entry is recorded and its seq and hash come back', async () => {
  const seen: NewEntry[] = [];
  const deps = depsWith(async (entry) => {
    seen.push(entry);
    return { entry: row, created: true };
  });
  const out = await recordInLedger(deps, { kind: 'incident-report', key: 'INC-1', body: { outcome: 'resolved' } });
  assert.deepEqual(out, { seq: 7, hash: row.hash, recordedAt: row.recordedAt, created: true });
  assert.equal(seen.length, 1);
});

test('a retry of a recorded entry returns the recorded row', async () => {
  const out = await recordInLedger(depsWith(async () => ({ entry: row, created: false })), { kind: 'incident-report', key: 'INC-1', body: { outcome: 'resolved' } });
  assert.equal(out.created, false);
  assert.equal(out.seq, 7);
});

test('an invalid entry is terminal and never reaches the ledger', async () => {
  let called = false;
  const deps = depsWith(async () => {
    called = true;
    return { entry: row, created: true };
  });
  await assert.rejects(recordInLedger(deps, { kind: 'Bad Kind', key: 'k', body: {} }), (err: Error) => err instanceof InvalidRequestError && /kind/.test(err.message));
  await assert.rejects(recordInLedger(deps, { kind: 'drill', key: 'k', body: { s: '\u0000' } }), InvalidRequestError);
  assert.equal(called, false);
});

test('data the database refuses is terminal; a unique violation is retried', async () => {
  await assert.rejects(recordInLedger(depsWith(async () => Promise.reject(sqlError('22P05'))), { kind: 'drill', key: 'k', body: {} }), InvalidRequestError);
  await assert.rejects(recordInLedger(depsWith(async () => Promise.reject(sqlError('23514'))), { kind: 'drill', key: 'k', body: {} }), InvalidRequestError);
  await assert.rejects(recordInLedger(depsWith(async () => Promise.reject(new LedgerValidationError('bad'))), { kind: 'drill', key: 'k', body: {} }), InvalidRequestError);
  await assert.rejects(recordInLedger(depsWith(async () => Promise.reject(sqlError('23505'))), { kind: 'drill', key: 'k', body: {} }), (err: Error) => !(err instanceof InvalidRequestError));
});

test('a database that is down or drops the connection gives a retryable error', async () => {
  for (const failure of [sqlError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), new Error('Connection terminated unexpectedly'), sqlError('57P01', 'terminating connection due to administrator command'), new Error('timeout exceeded when trying to connect')]) {
    await assert.rejects(
      recordInLedger(depsWith(async () => Promise.reject(failure)), { kind: 'drill', key: 'k', body: {} }),
      (err: Error) => err === failure && !(err instanceof InvalidRequestError),
    );
  }
});

test('a worker without a ledger fails retryably, so the entry waits for one that has it', async () => {
  const deps: ActivityDeps = { config: parseConfig({}), pm2: {} as Pm2Client, logger: createLogger('test') };
  await assert.rejects(recordInLedger(deps, { kind: 'drill', key: 'k', body: {} }), (err: Error) => !(err instanceof InvalidRequestError) && /no audit ledger/.test(err.message));
});

function find(parent: Command, path: string[]): Command {
  let command = parent;
  for (const name of path) {
    const next = command.commands.find((c) => c.name() === name);
    assert.ok(next, `zt ${path.join(' ')} exists`);
    command = next;
  }
  return command;
}

test('zt audit verify and zt audit list and their flags', () => {
  const program = buildProgram();
  assert.deepEqual(find(program, ['audit', 'verify']).options.map((o) => o.long), ['--json']);
  assert.deepEqual(find(program, ['audit', 'list']).options.map((o) => o.long).sort(), ['--json', '--kind', '--limit']);
});

test('what zt audit verify says', () => {
  assert.equal(verifyText({ ok: true, rows: 0, head: null }), 'ledger chain intact: 0 rows');
  assert.equal(verifyText({ ok: true, rows: 3, head: { seq: 3, hash: 'c'.repeat(64) } }), `ledger chain intact: 3 rows\nhead: seq 3 hash ${'c'.repeat(64)}`);
  const broken = verifyText({ ok: false, rows: 2, firstBroken: { seq: 3, kind: 'incident-report', key: 'INC-3', reason: 'hash-mismatch', detail: 'stored hash … the row was changed' } });
  assert.match(broken, /^ledger chain BROKEN at seq 3 \(incident-report INC-3\): hash-mismatch$/m);
  assert.match(broken, /2 rows before it are intact/);
  assert.match(listText([row]), /^SEQ\s+RECORDED\s+KIND\s+KEY\s+HASH\n7\s+2026-03-01T10:00:00.000Z\s+incident-report\s+INC-1\s+bbbbbbbbbbbb$/);
});
