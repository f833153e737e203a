// The ledger on the real PostgreSQL (127.0.0.1:5432, database test), in a schema of this run's own:
// migrations are idempotent and safe when workers start together; appends chain linearly even when
// concurrent, and an append repeated with the same kind + key records nothing new; the database itself
// refuses UPDATE, DELETE and TRUNCATE; and what a superuser can still do behind the triggers' back is
// caught by verifyChain and `zt audit verify`, naming the exact row.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { Ledger } from '../../ledger/ledger';
import { openLedger, type OpenedLedger } from '../../ledger/open';
import { listIncidentReports } from '../../ledger/report-queries';
import { createLogger } from '../../observability/logger';
import { dropSchema, TEST_DATABASE_URL, testPostgres, uniqueSchema } from '../helpers/postgres';
import { runZt } from '../helpers/zt';

const logger = createLogger('test');

describe('the ledger on the real PostgreSQL', () => {
  let admin: Pool;
  const schemas: string[] = [];
  const opened: OpenedLedger[] = [];

  async function fresh(prefix = 'zt_ledger'): Promise<{ ledger: Ledger; schema: string }> {
    const schema = uniqueSchema(prefix);
    schemas.push(schema);
    const o = await openLedger({ databaseUrl: TEST_DATABASE_URL, dataDir: '/nonexistent', schema, logger });
    opened.push(o);
    return { ledger: o.ledger, schema };
  }

  /** A superuser session that bypasses the append-only triggers, as an attacker with superuser would. */
  async function asSuperuserBehindTriggers(sql: string, params: unknown[] = []): Promise<void> {
    const client = await admin.connect();
    try {
      await client.query('SET session_replication_role = replica');
      await client.query(sql, params);
    } finally {
      await client.query('RESET session_replication_role').catch(() => undefined);
      client.release();
    }
  }

  before(async () => {
    admin = await testPostgres();
  });
  after(async () => {
    for (const o of opened) await o.close();
    if (!admin) return;
    for (const schema of schemas) await dropSchema(admin, schema);
    await admin.end();
  });

  test('migrations apply once, are recorded, and a second run is a no-op', async () => {
    const { ledger, schema } = await fresh();
    // openLedger migrated it already.
    assert.deepEqual(await ledger.migrate(), []);
    const { rows } = await admin.query(`SELECT version, name FROM "${schema}".zt_schema_migrations ORDER BY version`);
    assert.deepEqual(rows, [
      { version: 1, name: 'ledger_entries' },
      { version: 2, name: 'append_only' },
    ]);
  });

  test('workers starting at the same moment do not race on the migrations', async () => {
    const schema = uniqueSchema('zt_ledger_race');
    schemas.push(schema);
    const opens = await Promise.all(Array.from({ length: 4 }, () => openLedger({ databaseUrl: TEST_DATABASE_URL, dataDir: '/nonexistent', schema, logger, migrate: false })));
    opened.push(...opens);
    const applied = await Promise.all(opens.map((o) => o.ledger.migrate()));
    assert.deepEqual(applied.map((a) => a.length).sort(), [0, 0, 0, 2], 'exactly one worker applied the two migrations');
  });

  test('an applied migration that changed is refused', async () => {
    const { schema } = await fresh();
    await admin.query(`SET search_path TO "${schema}"; UPDATE zt_schema_migrations SET checksum = 'x' WHERE version = 1; RESET search_path`);
    await assert.rejects(openLedger({ databaseUrl: TEST_DATABASE_URL, dataDir: '/nonexistent', schema, logger }), /migration 1 \(ledger_entries\) was changed after it was applied/);
  });

  test('append chains rows; the same kind + key again returns the recorded row', async () => {
    const { ledger } = await fresh();
    const a = await ledger.append({ kind: 'incident-report', key: 'INC-1', body: { service: 'api', z: 1, a: { y: [1, 2], b: 'é' } } });
    const b = await ledger.append({ kind: 'notification', key: 'INC-1:resolved', body: { channel: 'slack' } });
    assert.deepEqual([a.created, a.entry.seq, b.created, b.entry.seq], [true, 1, true, 2]);
    assert.equal(b.entry.prevHash, a.entry.hash);
    assert.match(a.entry.recordedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const again = await ledger.append({ kind: 'incident-report', key: 'INC-1', body: { service: 'api', z: 1, a: { y: [1, 2], b: 'é' } } });
    assert.equal(again.created, false);
    assert.deepEqual(again.entry, a.entry);
    // The same key under another kind is another fact.
    assert.equal((await ledger.append({ kind: 'drill', key: 'INC-1', body: {} })).entry.seq, 3);
    assert.deepEqual(await ledger.find('incident-report', 'INC-1'), a.entry);
    assert.equal(await ledger.find('incident-report', 'nope'), null);
    assert.deepEqual((await ledger.list({ limit: 2 })).map((e) => e.seq), [3, 2]);
    assert.deepEqual((await ledger.list({ kind: 'notification' })).map((e) => e.key), ['INC-1:resolved']);
    const verified = await ledger.verifyChain();
    assert.deepEqual(verified, { ok: true, rows: 3, head: { seq: 3, hash: (await ledger.find('drill', 'INC-1'))!.hash } });
  });

  test('concurrent appends from several pools make one linear chain, each retried key once', async () => {
    const { schema } = await fresh();
    const workers = await Promise.all(Array.from({ length: 3 }, () => openLedger({ databaseUrl: TEST_DATABASE_URL, dataDir: '/nonexistent', schema, logger })));
    opened.push(...workers);
    const appends = Array.from({ length: 30 }, (_, i) => workers[i % 3]!.ledger.append({ kind: 'drill', key: `d-${i % 20}`, body: { i: i % 20 } }));
    const results = await Promise.all(appends);
    assert.equal(results.filter((r) => r.created).length, 20, '20 distinct keys, 10 repeats');
    const verified = await workers[0]!.ledger.verifyChain();
    assert.ok(verified.ok);
    assert.equal(verified.rows, 20);
  });

  test('the database refuses UPDATE, DELETE and TRUNCATE, whoever asks', async () => {
    const { ledger, schema } = await fresh();
    await ledger.append({ kind: 'drill', key: 'd-1', body: { n: 1 } });
    const table = `"${schema}".ledger_entries`;
    for (const sql of [`UPDATE ${table} SET body = '{"n":2}'`, `DELETE FROM ${table}`, `DELETE FROM ${table} WHERE false`, `TRUNCATE ${table}`]) {
      await assert.rejects(admin.query(sql), (err: Error & { code?: string; hint?: string }) => {
        assert.match(err.message, /^the zero-touch ledger is append-only: (UPDATE|DELETE|TRUNCATE) on .*ledger_entries refused$/);
        assert.equal(err.code, '42501');
        assert.match(err.hint ?? '', /append a new row instead/);
        return true;
      }, sql);
    }
    assert.deepEqual(await ledger.verifyChain(), { ok: true, rows: 1, head: { seq: 1, hash: (await ledger.find('drill', 'd-1'))!.hash } });
  });

  test('a superuser changing a body behind the triggers is named at that exact row', async () => {
    const { ledger, schema } = await fresh();
    for (let i = 1; i <= 5; i++) await ledger.append({ kind: 'incident-report', key: `INC-${i}`, body: { service: 'api', outcome: 'resolved' } });
    await asSuperuserBehindTriggers(`UPDATE "${schema}".ledger_entries SET body = jsonb_set(body, '{outcome}', '"escalated"') WHERE seq = 3`);
    const result = await ledger.verifyChain();
    assert.ok(!result.ok);
    assert.deepEqual([result.firstBroken.seq, result.firstBroken.kind, result.firstBroken.key, result.firstBroken.reason], [3, 'incident-report', 'INC-3', 'hash-mismatch']);
    assert.equal(result.rows, 2);
  });

  test('a superuser deleting a middle row with the triggers disabled leaves a gap verify names', async () => {
    const { ledger, schema } = await fresh();
    for (let i = 1; i <= 5; i++) await ledger.append({ kind: 'notification', key: `N-${i}`, body: { i } });
    const table = `"${schema}".ledger_entries`;
    await admin.query(`ALTER TABLE ${table} DISABLE TRIGGER ALL`);
    try {
      await admin.query(`DELETE FROM ${table} WHERE seq = 2`);
    } finally {
      await admin.query(`ALTER TABLE ${table} ENABLE TRIGGER ALL`);
    }
    const result = await ledger.verifyChain();
    assert.ok(!result.ok);
    assert.deepEqual([result.firstBroken.seq, result.firstBroken.key, result.firstBroken.reason], [3, 'N-3', 'seq-gap']);
    assert.match(result.firstBroken.detail, /seq 2 missing/);
    // The next append still chains onto the real head, so the damage stays where it was done.
    assert.equal((await ledger.append({ kind: 'notification', key: 'N-6', body: {} })).entry.seq, 6);
  });

  test('incident reports are read back by time range, service and class', async () => {
    let clock = Date.parse('2026-03-01T10:00:00.000Z');
    const schema = uniqueSchema('zt_ledger_reports');
    schemas.push(schema);
    // A ledger on a clock of the test's own: one report an hour.
    const pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
    const ledger = new Ledger(pool, { schema, now: () => new Date((clock += 3_600_000)) });
    opened.push({ ledger, where: 'test', close: () => pool.end() });
    await ledger.migrate();
    const report = (service: string, cls: string) => ({ incidentId: `INC-${service}-${cls}`, service, class: cls, outcome: 'resolved', ttrSeconds: 4.2 });
    await ledger.append({ kind: 'incident-report', key: 'r1', body: report('api', 'deadlock') }); // 11:00
    await ledger.append({ kind: 'incident-report', key: 'r2', body: report('api', 'memory-leak') }); // 12:00
    await ledger.append({ kind: 'notification', key: 'n1', body: { service: 'api' } }); // 13:00
    await ledger.append({ kind: 'incident-report', key: 'r3', body: report('web', 'deadlock') }); // 14:00
    const keys = async (filter: Parameters<typeof listIncidentReports>[1]) => (await listIncidentReports(ledger, filter)).map((r) => r.key);
    assert.deepEqual(await keys({}), ['r3', 'r2', 'r1']);
    assert.deepEqual(await keys({ service: 'api' }), ['r2', 'r1']);
    assert.deepEqual(await keys({ class: 'deadlock' }), ['r3', 'r1']);
    assert.deepEqual(await keys({ from: '2026-03-01T11:30:00Z', to: new Date('2026-03-01T14:00:00Z') }), ['r2']);
    assert.deepEqual(await keys({ limit: 1 }), ['r3']);
    const [first] = await listIncidentReports(ledger, { service: 'web' });
    assert.equal(first?.report.class, 'deadlock');
    assert.equal(first?.recordedAt, '2026-03-01T14:00:00.000Z');
    await assert.rejects(listIncidentReports(ledger, { from: 'yesterday' }));
  });

  test('zt audit verify: exit 0 while intact, 1 naming the broken row', async () => {
    const { ledger, schema } = await fresh('zt_ledger_cli');
    for (let i = 1; i <= 3; i++) await ledger.append({ kind: 'incident-report', key: `INC-${i}`, body: { i } });
    const env = { ...process.env, DATABASE_URL: TEST_DATABASE_URL, ZT_LEDGER_SCHEMA: schema };
    const intact = await runZt(['audit', 'verify'], env);
    assert.equal(intact.code, 0, intact.stderr);
    assert.match(intact.stdout, /^ledger chain intact: 3 rows$/m);
    const listed = await runZt(['audit', 'list', '--kind', 'incident-report', '--limit', '2', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual((JSON.parse(listed.stdout) as Array<{ seq: number }>).map((r) => r.seq), [3, 2]);

    await asSuperuserBehindTriggers(`UPDATE "${schema}".ledger_entries SET body = '{"i":20}' WHERE seq = 2`);
    const broken = await runZt(['audit', 'verify'], env);
    assert.equal(broken.code, 1, broken.stderr);
    assert.match(broken.stdout, /ledger chain BROKEN at seq 2 \(incident-report INC-2\): hash-mismatch/);
    const json = await runZt(['audit', 'verify', '--json'], env);
    assert.equal(json.code, 1);
    const parsed = JSON.parse(json.stdout) as { ok: boolean; firstBroken: { seq: number; reason: string } };
    assert.deepEqual([parsed.ok, parsed.firstBroken.seq, parsed.firstBroken.reason], [false, 2, 'hash-mismatch']);
  });

  test('zt audit verify on a schema nobody has written, and on a database that is not there', async () => {
    const schema = uniqueSchema('zt_ledger_none');
    const empty = await runZt(['audit', 'verify', '--json'], { ...process.env, DATABASE_URL: TEST_DATABASE_URL, ZT_LEDGER_SCHEMA: schema });
    assert.equal(empty.code, 0, empty.stderr);
    assert.deepEqual(JSON.parse(empty.stdout), { ok: true, rows: 0, head: null });
    assert.match(empty.stderr, /no ledger in schema/);
    const { rows } = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    assert.equal(rows.length, 0, 'a reader creates nothing');
    const down = await runZt(['audit', 'verify'], { ...process.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' });
    assert.equal(down.code, 2);
    assert.match(down.stderr, /cannot reach the ledger database \(postgresql:\/\/postgres@127\.0\.0\.1:1\/test\)/);
  });
});
