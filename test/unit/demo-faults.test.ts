// The typed fault client on its own: persistent-fault files, error reporting, and the timeout that keeps a
// hung instance from hanging the caller.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  clearPersistentFaults,
  FaultSwitchError,
  injectFault,
  persistentFaultFile,
  setPersistentFault,
} from '../../demo/faults';

const tmpDirs: string[] = [];
const servers: Server[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-demo-faults-'));
  tmpDirs.push(dir);
  return dir;
}

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

after(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await Promise.all(tmpDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

test('setPersistentFault writes the file the target reads at start, creating the state dir', async () => {
  const stateDir = path.join(await tempDir(), 'nested', 'state');
  const file = await setPersistentFault(stateDir, 1, { fault: 'crash-loop', delayMs: 250 });
  assert.equal(file, path.join(stateDir, 'faults-1.json'));
  const stored = JSON.parse(await readFile(file, 'utf8'));
  assert.deepEqual({ ...stored, setAt: 'x' }, { fault: 'crash-loop', delayMs: 250, setAt: 'x' });
  assert.ok(!Number.isNaN(Date.parse(stored.setAt)));
  assert.deepEqual(await readdir(stateDir), ['faults-1.json'], 'no temporary file left behind');
});

test('a counted failing-startup is stored with its count of failing starts', async () => {
  const stateDir = await tempDir();
  const file = await setPersistentFault(stateDir, 0, { fault: 'failing-startup', starts: 10 });
  const stored = JSON.parse(await readFile(file, 'utf8'));
  assert.deepEqual({ ...stored, setAt: 'x' }, { fault: 'failing-startup', starts: 10, setAt: 'x' });
});

test('clearPersistentFaults removes one instance or all, and tolerates nothing to remove', async () => {
  const stateDir = await tempDir();
  await setPersistentFault(stateDir, 0, { fault: 'failing-startup' });
  await setPersistentFault(stateDir, 1, { fault: 'failing-startup' });
  await setPersistentFault(stateDir, 12, { fault: 'crash-loop' });
  await writeFile(path.join(stateDir, 'notes.txt'), 'not a fault');

  assert.deepEqual(await clearPersistentFaults(stateDir, 1), [persistentFaultFile(stateDir, 1)]);
  assert.deepEqual(await clearPersistentFaults(stateDir, 1), []);
  assert.deepEqual((await clearPersistentFaults(stateDir)).sort(), [persistentFaultFile(stateDir, 0), persistentFaultFile(stateDir, 12)].sort());
  assert.deepEqual(await readdir(stateDir), ['notes.txt']);
  assert.deepEqual(await clearPersistentFaults(path.join(stateDir, 'missing')), []);
});

test('a silent instance makes the client fail after its timeout instead of waiting forever', async () => {
  const url = await serve(() => {
    // never answers, like a hung instance
  });
  const startedAt = performance.now();
  await assert.rejects(injectFault(url, { fault: 'unhealthy' }, { timeoutMs: 200 }), (err: unknown) => {
    assert.ok(err instanceof FaultSwitchError);
    assert.equal(err.status, null);
    return true;
  });
  assert.ok(performance.now() - startedAt < 1_000);
});

test('refusals carry the status and the error the instance gave, and the token travels as a header', async () => {
  let seenToken: string | undefined;
  const url = await serve((req, res) => {
    seenToken = req.headers['x-fault-token'] as string | undefined;
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'fault "slow" needs "ms"' }));
  });
  await assert.rejects(injectFault(url, { fault: 'slow', ms: 0 }, { token: 'tok' }), (err: unknown) => {
    assert.ok(err instanceof FaultSwitchError);
    assert.equal(err.status, 400);
    assert.match(err.message, /^POST http:\/\/127\.0\.0\.1:\d+\/__faults answered 400: fault "slow" needs "ms"$/);
    return true;
  });
  assert.equal(seenToken, 'tok');
});
