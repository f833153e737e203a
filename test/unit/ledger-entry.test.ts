// What may enter the ledger and where it lives: entries are validated before any database sees them
// (a value jsonb would refuse is terminal, not retried forever), schema names are safe to splice into
// SQL, the environment picks DATABASE_URL or the embedded PGlite, and the migration files are in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { PROJECT_ROOT } from '../../config/paths';
import { readMigrations } from '../../ledger/migrate';
import { describeDatabaseUrl, ledgerSettingsFromEnv, LedgerConfigError } from '../../ledger/settings';
import { quoteIdent, schemaLockKey } from '../../ledger/sql';
import { MAX_BODY_BYTES, newEntrySchema } from '../../ledger/types';

const ok = (entry: unknown) => newEntrySchema.safeParse(entry).success;

test('an entry is a kind, a key and an object body', () => {
  assert.ok(ok({ kind: 'incident-report', key: 'INC-20260301-abcd1234', body: { outcome: 'resolved' } }));
  assert.ok(ok({ kind: 'a-new-kind-2', key: 'k', body: {} }), 'new kinds need no migration');
  assert.ok(!ok({ kind: 'Incident Report', key: 'k', body: {} }));
  assert.ok(!ok({ kind: 'incident-report', key: '  ', body: {} }), 'a blank key');
  assert.ok(!ok({ kind: 'incident-report', key: 'x'.repeat(501), body: {} }));
  assert.ok(!ok({ kind: 'incident-report', key: 'k', body: [1, 2] }), 'the body is an object');
  assert.ok(!ok({ kind: 'incident-report', key: 'k' }));
});

test('bodies jsonb cannot store are refused up front', () => {
  const problem = (body: unknown) => newEntrySchema.safeParse({ kind: 'drill', key: 'k', body }).error?.issues[0]?.message ?? '';
  assert.match(problem({ note: 'a\u0000b' }), /note: contains a NUL character/);
  assert.match(problem({ deep: { list: ['ok', '\ud800'] } }), /deep\.list\.1: contains a lone UTF-16 surrogate/);
  assert.match(problem({ ['\u0000key']: 1 }), /NUL/);
  assert.match(problem({ big: 'x'.repeat(MAX_BODY_BYTES) }), /bytes, more than/);
  assert.equal(problem({ emoji: '🚒 ok', accents: 'é' }), '', 'surrogate pairs are fine');
});

test('schema names are checked before they are spliced into SQL', () => {
  assert.equal(quoteIdent('zero_touch'), '"zero_touch"');
  assert.throws(() => quoteIdent('x"; DROP TABLE y; --'));
  assert.throws(() => quoteIdent('Upper'));
  assert.throws(() => quoteIdent('pg_temp'));
  assert.throws(() => quoteIdent('1abc'));
  assert.notEqual(schemaLockKey('zero_touch'), schemaLockKey('zt_test_1'), 'test schemas do not share a lock');
  assert.ok(Number.isInteger(schemaLockKey('zero_touch')) && Math.abs(schemaLockKey('zero_touch')) < 2 ** 31);
});

test('DATABASE_URL picks PostgreSQL; unset, the embedded PGlite under .zt/', () => {
  assert.deepEqual(ledgerSettingsFromEnv({}), { schema: 'zero_touch', dataDir: path.join(PROJECT_ROOT, '.zt/ledger-pglite') });
  assert.deepEqual(ledgerSettingsFromEnv({ DATABASE_URL: '  ', ZT_LEDGER_SCHEMA: '' }), { schema: 'zero_touch', dataDir: path.join(PROJECT_ROOT, '.zt/ledger-pglite') });
  assert.deepEqual(ledgerSettingsFromEnv({ DATABASE_URL: 'postgresql://u:p@db:5432/zt', ZT_LEDGER_SCHEMA: 'audit', ZT_LEDGER_DIR: '/var/lib/zt/ledger' }), {
    databaseUrl: 'postgresql://u:p@db:5432/zt',
    schema: 'audit',
    dataDir: '/var/lib/zt/ledger',
  });
  assert.throws(() => ledgerSettingsFromEnv({ DATABASE_URL: 'mysql://x' }), (err: Error) => err instanceof LedgerConfigError && /DATABASE_URL/.test(err.message));
  assert.throws(() => ledgerSettingsFromEnv({ ZT_LEDGER_SCHEMA: 'Bad-Name' }), /ZT_LEDGER_SCHEMA/);
});

test('messages name the database without its password', () => {
  assert.equal(describeDatabaseUrl('postgres://zt:s3cret@db.internal:5432/audit'), 'postgresql://zt@db.internal:5432/audit');
  assert.doesNotMatch(describeDatabaseUrl('postgres://zt:s3cret@db/audit'), /s3cret/);
});

test('migrations are numbered from 001 without gaps, each with a checksum', () => {
  const migrations = readMigrations();
  assert.deepEqual(
    migrations.map((m) => [m.version, m.name]),
    [
      [1, 'ledger_entries'],
      [2, 'append_only'],
    ],
  );
  for (const m of migrations) assert.match(m.checksum, /^[0-9a-f]{64}$/);
  assert.match(migrations[1]!.sql, /BEFORE TRUNCATE/);
});
