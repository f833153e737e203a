// The embedded default (no DATABASE_URL): PGlite served over the PostgreSQL wire protocol, so the very
// same pg code migrates, appends and verifies; its triggers refuse UPDATE; `zt audit verify` in another
// process uses the running server instead of opening the files twice, or opens them itself when nothing
// runs; and a ledger closed and reopened from the same data directory still verifies and chains on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { claimFileOf } from '../../ledger/embedded';
import { openLedger, type OpenedLedger } from '../../ledger/open';
import { createLogger } from '../../observability/logger';
import { runZt } from '../helpers/zt';

const logger = createLogger('test');
let dir: string;
let dataDir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'zt-ledger-pglite-'));
  dataDir = path.join(dir, 'ledger-pglite');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A second connection to the embedded server, as another process would make. */
async function rawClient(): Promise<Client> {
  const claim = JSON.parse(await readFile(claimFileOf(dataDir), 'utf8')) as { host: string; port: number };
  const client = new Client({ host: claim.host, port: claim.port, user: 'postgres', database: 'postgres' });
  await client.connect();
  return client;
}

const zt = (args: string[]) => runZt(args, { ...process.env, DATABASE_URL: '', ZT_LEDGER_DIR: dataDir }, 60_000);

test('the embedded ledger: migrate, append, verify, refuse UPDATE, survive a reopen', { timeout: 180_000 }, async () => {
  let opened: OpenedLedger | undefined = await openLedger({ dataDir, logger });
  try {
    assert.match(opened.where, /^embedded PGlite /);
    const { ledger } = opened;
    for (let i = 1; i <= 3; i++) assert.equal((await ledger.append({ kind: 'incident-report', key: `INC-${i}`, body: { i, service: 'api' } })).entry.seq, i);
    assert.equal((await ledger.append({ kind: 'incident-report', key: 'INC-2', body: { i: 2, service: 'api' } })).created, false);
    assert.equal((await ledger.verifyChain()).rows, 3);
    assert.deepEqual(await ledger.migrate(), [], 'migrations are idempotent here too');

    const client = await rawClient();
    try {
      // Inside a transaction, as every ledger statement is: the server serializes whole transactions.
      await client.query('BEGIN');
      await assert.rejects(client.query(`UPDATE zero_touch.ledger_entries SET body = '{}'`), /append-only: UPDATE on zero_touch\.ledger_entries refused/);
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      await assert.rejects(client.query('TRUNCATE zero_touch.ledger_entries'), /append-only: TRUNCATE/);
      await client.query('ROLLBACK');
    } finally {
      await client.end();
    }

    // Another process while this one serves the data dir: it connects to the server, never to the files.
    const live = await zt(['audit', 'verify']);
    assert.equal(live.code, 0, live.stderr);
    assert.match(live.stdout, /^ledger chain intact: 3 rows$/m);
    assert.ok(existsSync(claimFileOf(dataDir)));

    await opened.close();
    opened = undefined;
    assert.ok(!existsSync(claimFileOf(dataDir)), 'the claim goes with the server');

    // Nothing serves it now: zt opens the data dir itself, read-only in effect.
    const offline = await zt(['audit', 'list', '--json']);
    assert.equal(offline.code, 0, offline.stderr);
    assert.deepEqual((JSON.parse(offline.stdout) as Array<{ key: string }>).map((r) => r.key), ['INC-3', 'INC-2', 'INC-1']);

    // A claim left by a process that died is taken over.
    await writeFile(claimFileOf(dataDir), JSON.stringify({ pid: 2 ** 22 + 12345, host: '127.0.0.1', port: 1 }));
    opened = await openLedger({ dataDir, logger });
    const again = opened.ledger;
    assert.deepEqual(await again.verifyChain(), { ok: true, rows: 3, head: { seq: 3, hash: (await again.find('incident-report', 'INC-3'))!.hash } });
    const next = await again.append({ kind: 'human-resolution', key: 'INC-3:alice', body: { operator: 'alice' } });
    assert.equal(next.entry.seq, 4);
    assert.equal(next.entry.prevHash, (await again.find('incident-report', 'INC-3'))!.hash);

    // A superuser behind the triggers' back is caught here as on a real server.
    const admin = await rawClient();
    try {
      await admin.query('BEGIN');
      await admin.query('SET LOCAL session_replication_role = replica');
      await admin.query(`UPDATE zero_touch.ledger_entries SET body = '{"operator":"mallory"}' WHERE seq = 4`);
      await admin.query('COMMIT');
    } finally {
      await admin.end();
    }
    const broken = await again.verifyChain();
    assert.ok(!broken.ok);
    assert.deepEqual([broken.firstBroken.seq, broken.firstBroken.kind, broken.firstBroken.reason], [4, 'human-resolution', 'hash-mismatch']);
    const cli = await zt(['audit', 'verify']);
    assert.equal(cli.code, 1, cli.stderr);
    assert.match(cli.stdout, /BROKEN at seq 4 \(human-resolution INC-3:alice\)/);
  } finally {
    await opened?.close();
  }
});

test('two opens in one process share one embedded server', { timeout: 120_000 }, async () => {
  const shared = path.join(dir, 'shared');
  const [a, b] = await Promise.all([openLedger({ dataDir: shared, logger, schema: 'one' }), openLedger({ dataDir: shared, logger, schema: 'two' })]);
  try {
    await Promise.all([a.ledger.append({ kind: 'drill', key: 'a', body: {} }), b.ledger.append({ kind: 'drill', key: 'b', body: {} })]);
    await a.close();
    // b still works: the server stays until its last user in this process closes.
    assert.equal((await b.ledger.append({ kind: 'drill', key: 'c', body: {} })).entry.seq, 2);
    assert.ok((await b.ledger.verifyChain()).ok);
  } finally {
    await a.close();
    await b.close();
  }
  assert.ok(!existsSync(claimFileOf(shared)));
});

/** A worker appending in a loop, printing each seq once its append has committed. */
const APPENDER = `
const { openLedger } = require(${JSON.stringify(path.resolve(__dirname, '../../ledger/open'))});
const pino = require(${JSON.stringify(require.resolve('pino'))});
openLedger({ dataDir: process.argv[1], logger: pino({ level: 'error' }) }).then(async ({ ledger }) => {
  for (let i = 0; ; i++) console.log('SEQ ' + (await ledger.append({ kind: 'drill', key: 'kill-' + process.pid + '-' + i, body: { i } })).entry.seq);
});`;

test('the embedded ledger keeps every acknowledged append when its owner is killed mid-write', { timeout: 180_000 }, async () => {
  const killed = path.join(dir, 'killed');
  let acknowledged = 0;
  for (let round = 0; round < 2; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', APPENDER, killed], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = 0;
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the appender exited early (${code})`)));
      child.stdout.on('data', (chunk: Buffer) => {
        for (const m of String(chunk).matchAll(/SEQ (\d+)/g)) last = Number(m[1]);
        if (last >= acknowledged + 15) resolve();
      });
    });
    child.removeAllListeners('exit');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    acknowledged = last;
    // The dead owner's claim is taken over; its data directory recovers like a crashed PostgreSQL's.
    const opened = await openLedger({ dataDir: killed, logger });
    try {
      const verified = await opened.ledger.verifyChain();
      assert.ok(verified.ok, JSON.stringify(verified));
      assert.ok(verified.rows >= acknowledged, `${verified.rows} rows hold every one of the ${acknowledged} acknowledged`);
      acknowledged = verified.rows;
    } finally {
      await opened.close();
    }
  }
});

test('zt audit verify where nothing was ever recorded', async () => {
  const run = await runZt(['audit', 'verify'], { ...process.env, DATABASE_URL: '', ZT_LEDGER_DIR: path.join(dir, 'never') });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /ledger chain intact: 0 rows/);
  assert.match(run.stderr, /no embedded ledger at/);
  assert.ok(!existsSync(path.join(dir, 'never')), 'a reader creates nothing');
});
