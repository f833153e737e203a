// The embedded Temporal dev server that `npm start`, the test runner and CI share: real CLI, real ports.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../signals/search-attributes';
import { findChildPids } from '../../temporal/child-pids';
import { startDevServer } from '../../temporal/dev-server';
import type { TemporalEndpoint } from '../../temporal/endpoint';
import { isPortFree } from '../../temporal/free-port';

const log = { info: () => {}, warn: (msg: string) => console.warn(msg) };
// Names as the operator service reports them (temporal.api.enums.v1.IndexedValueType).
const INDEXED_TYPE_NAMES: Record<number, string> = { 2: 'Keyword', 4: 'Double' };

const running = new Set<TemporalEndpoint>();
after(async () => Promise.all([...running].map((server) => server.stop())));

async function start(options: Omit<Parameters<typeof startDevServer>[0], 'log'> = {}): Promise<TemporalEndpoint> {
  const server = await startDevServer({ log, ...options });
  running.add(server);
  return server;
}

async function stop(server: TemporalEndpoint): Promise<void> {
  await server.stop();
  running.delete(server);
}

async function withConnection<T>(address: string, fn: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await fn(connection);
  } finally {
    await connection.close();
  }
}

function portOf(address: string): number {
  return Number(address.split(':').pop());
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('temporal dev server', { timeout: 60_000 }, () => {
  test('serves gRPC, every contract search attribute with its type, and the Web UI; stop() ends the process', async () => {
    const server = await start();
    assert.equal(server.namespace, 'default');
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    assert.equal(server.uiUrl, `http://127.0.0.1:${portOf(server.address) + 1000}`);

    await withConnection(server.address, async (connection) => {
      const info = await connection.workflowService.getSystemInfo({});
      assert.ok(info.serverVersion, 'getSystemInfo reports a server version');
      const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      const ours = Object.fromEntries(
        Object.entries(listed.customAttributes ?? {})
          .filter(([name]) => name in SEARCH_ATTRIBUTES)
          .map(([name, type]) => [name, INDEXED_TYPE_NAMES[Number(type)] ?? `type ${type}`]),
      );
      assert.deepEqual(ours, { ...SEARCH_ATTRIBUTES });
      assert.equal(Object.keys(ours).length, 6);
    });

    const ui = await fetch(server.uiUrl ?? assert.fail('a UI URL when not headless'));
    assert.equal(ui.status, 200);
    await ui.body?.cancel();

    const pids = findChildPids(['start-dev', String(portOf(server.address))]);
    assert.equal(pids.length, 1, 'exactly one temporal child process serves this port');
    await stop(server);
    assert.equal(isRunning(pids[0]!), false, 'the temporal process is gone once stop() resolves');
    assert.equal(await isPortFree(portOf(server.address)), true, 'the gRPC port is released');
  });

  test('a db file keeps workflows across restarts, and restarting on it re-registers search attributes cleanly', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zt-dev-server-'));
    after(() => fs.rmSync(stateDir, { recursive: true, force: true }));
    const dbFilename = path.join(stateDir, 'nested', 'temporal.db'); // the missing directory is created for us
    const workflowId = `dev-server-test-${randomUUID()}`;

    const first = await start({ dbFilename, headless: true });
    assert.equal(first.uiUrl, null);
    await withConnection(first.address, async (connection) => {
      // No worker polls this queue: the workflow simply stays open, which is all persistence needs to show.
      await new Client({ connection }).workflow.start('persistenceProbe', { taskQueue: 'dev-server-test-unpolled', workflowId });
    });
    await stop(first);

    const second = await start({ dbFilename, headless: true });
    await withConnection(second.address, async (connection) => {
      const description = await new Client({ connection }).workflow.getHandle(workflowId).describe();
      assert.equal(description.type, 'persistenceProbe');
      assert.equal(description.status.name, 'RUNNING');
      const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const name of Object.keys(SEARCH_ATTRIBUTES)) assert.ok(listed.customAttributes?.[name], `${name} still registered`);
    });
    await stop(second);
  });
});
