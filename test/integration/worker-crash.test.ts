// A worker killed in the middle of an action: the incident runs in a worker process of its own, which is
// SIGKILLed while the action's activity is running; a second worker process picks the incident up (the
// activity's heartbeat times out and it is retried there), and the action is not doubled: a hung instance
// is restarted exactly once, a CPU-bound service is scaled up by exactly one instance (and back down).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../config/load';
import { demoApp } from '../../demo/ecosystem';
import { clearFaults, injectFault } from '../../demo/faults';
import { Ingest } from '../../ingress/ingest';
import { Pm2Client } from '../../pm2/client';
import { alertSchema } from '../../signals/alert';
import type { UndoAfterRecoveryResult } from '../../workflows/undo-after-recovery';
import { awaitIncidentRun, hangAlert, result } from '../helpers/incidents';
import { eventually, freePortRange, waitForHealthy } from '../helpers/system';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { dropSchema, testPostgres, TEST_DATABASE_URL, uniqueSchema } from '../helpers/postgres';

const ROOT = path.resolve(__dirname, '../..');

function startWorkerProcess(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workers/worker.ts')], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
}

describe('a worker killed mid-action', () => {
  let temporal: TestTemporal;
  let pm2: Pm2Client;
  let dir: string;
  const workers: ChildProcess[] = [];

  // The worker processes record reports in the machine's PostgreSQL, in a schema of this test's own.
  const ledgerEnv = { DATABASE_URL: TEST_DATABASE_URL, ZT_LEDGER_SCHEMA: uniqueSchema('zt_crash') };

  before(async () => {
    temporal = await testTemporal();
    dir = await mkdtemp(path.join(os.tmpdir(), 'zt-crash-'));
  });
  after(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await pm2?.killDaemon().catch(() => undefined);
    await pm2?.disconnect();
    await temporal?.close();
    await rm(dir, { recursive: true, force: true });
    const pg = await testPostgres();
    await dropSchema(pg, ledgerEnv.ZT_LEDGER_SCHEMA).finally(() => pg.end());
  });

  test('the incident resumes on another worker and the restart is not doubled', async () => {
    const service = `crash-${Math.random().toString(36).slice(2, 8)}`;
    const basePort = await freePortRange(2);
    const rawConfig = {
      temporal: { address: temporal.address, taskQueue: uniqueTaskQueue('crash') },
      pm2: { home: path.join(dir, 'pm2') },
      services: [{ name: service, basePort, instances: 2 }],
    };
    const config = parseConfig(rawConfig);
    pm2 = await Pm2Client.connect({ home: config.pm2.home! });
    await pm2.start(demoApp({ name: service, instances: 2, basePort, stateDir: path.join(dir, 'demo') }));
    await waitForHealthy(basePort, 2);
    const env = { ...process.env, ...ledgerEnv, ZT_CONFIG: JSON.stringify(rawConfig), TEMPORAL_ADDRESS: temporal.address, ZT_LOG_LEVEL: 'warn' };

    const first = startWorkerProcess(env);
    workers.push(first);
    const hung = (await pm2.listApp(service)).find((p) => p.instance === 1)!;
    await injectFault(`http://127.0.0.1:${basePort + 1}`, { fault: 'hang' });
    await new Ingest(temporal.client, config).ingest([hangAlert(service, { instance: 1, fingerprint: `${service}-hang-1` })]);
    const handle = await awaitIncidentRun(temporal.client, `incident-${service}.availability`);

    // Kill the worker the moment the restart activity is running on it.
    await eventually(
      'the restart activity to be running',
      async () => {
        const d = await handle.describe();
        const pending = d.raw.pendingActivities ?? [];
        return pending.some((a) => a.activityType?.name === 'restartInstances' && Number(a.state) === 2 /* STARTED */) ? true : undefined;
      },
      60_000,
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    const second = startWorkerProcess(env);
    workers.push(second);
    const report = await result(handle);

    assert.equal(report.outcome, 'auto-resolved', JSON.stringify(report.escalation));
    assert.equal(report.actions.length, 1, 'one action in the record');
    assert.deepEqual(report.actions[0]!.pmIds, [hung.pmId]);
    const after = (await pm2.listApp(service)).find((p) => p.pmId === hung.pmId)!;
    assert.equal(after.restarts, hung.restarts + 1, `restarted exactly once (restarts ${hung.restarts} → ${after.restarts})`);
    await assertRetriedAfterTheKill(handle, 'restartInstances');
    second.kill('SIGTERM');
  });

  test('a scale-up interrupted by the kill adds exactly one instance, and the scale-down undo still runs', async () => {
    const service = `crash-scale-${Math.random().toString(36).slice(2, 8)}`;
    const basePort = await freePortRange(2);
    const catalog = path.join(dir, 'catalog.json');
    // Two burning instances share two cores with Temporal, PM2 and the workers: "busy" at 25 %.
    await writeFile(catalog, JSON.stringify({ settings: { cpuBusyPercent: 25 }, signatures: [] }));
    const rawConfig = {
      temporal: { address: temporal.address, taskQueue: uniqueTaskQueue('crash-scale') },
      pm2: { home: path.join(dir, 'pm2') },
      policy: { catalogFiles: [catalog] },
      services: [{ name: service, basePort, instances: 2, actions: { scale: { maxInstances: 3, cooldownMs: 15_000 } } }],
    };
    const config = parseConfig(rawConfig);
    pm2 ??= await Pm2Client.connect({ home: config.pm2.home! });
    await pm2.start(demoApp({ name: service, instances: 2, basePort, stateDir: path.join(dir, 'demo-scale') }));
    await waitForHealthy(basePort, 2);
    const env = { ...process.env, ...ledgerEnv, ZT_CONFIG: JSON.stringify(rawConfig), TEMPORAL_ADDRESS: temporal.address, ZT_LOG_LEVEL: 'warn' };
    const urls = [0, 1].map((i) => `http://127.0.0.1:${basePort + i}`);

    const first = startWorkerProcess(env);
    workers.push(first);
    try {
      await Promise.all(urls.map((url) => injectFault(url, { fault: 'cpu', percent: 80 })));
      await eventually('PM2 to see both instances busy', async () => {
        const busy = (await pm2.listApp(service)).filter((p) => p.cpuPercent >= 25);
        return busy.length === 2 ? true : undefined;
      }, 20_000);
      await new Ingest(temporal.client, config).ingest(
        [0, 1].map((instance) =>
          alertSchema.parse({
            source: 'sentinel',
            service,
            name: 'CpuSpike',
            status: 'firing',
            instance,
            summary: `instance ${instance} CPU busy`,
            startsAt: new Date().toISOString(),
            fingerprint: `${service}-cpu-${instance}`,
          }),
        ),
      );
      const handle = await awaitIncidentRun(temporal.client, `incident-${service}.resources`);
      await eventually(
        'the scale-up activity to be running',
        async () => {
          const d = await handle.describe();
          return (d.raw.pendingActivities ?? []).some((a) => a.activityType?.name === 'scaleUp' && Number(a.state) === 2) ? true : undefined;
        },
        60_000,
      );
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));

      const second = startWorkerProcess(env);
      workers.push(second);
      const report = await result(handle);
      assert.equal(report.outcome, 'auto-resolved', JSON.stringify(report.escalation));
      assert.equal(report.actions.length, 1, 'one action in the record');
      assert.equal(report.actions[0]!.action, 'scale-up');
      // The scale-down undo waits out the 15 s cooldown after recovery, so the count is still the scaled one.
      assert.equal((await pm2.listApp(service)).length, 3, 'exactly one instance added, not one per worker');
      await assertRetriedAfterTheKill(handle, 'scaleUp');

      const undo = (await temporal.client.workflow.getHandle(`undo-after-recovery-${report.incidentId}`).result()) as UndoAfterRecoveryResult;
      assert.equal(undo.results[0]?.error, null);
      assert.equal((await pm2.listApp(service)).length, 2, 'scaled back down to the original two');
      second.kill('SIGTERM');
    } finally {
      await Promise.all(urls.map((url) => clearFaults(url).catch(() => undefined)));
    }
  });
});

/** The action's activity ran again (attempt > 1) on the second worker after the first one died. */
async function assertRetriedAfterTheKill(handle: Awaited<ReturnType<typeof awaitIncidentRun>>, activityType: string): Promise<void> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map(
    events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes!.activityType?.name]),
  );
  const retried = events.filter(
    (e) =>
      e.activityTaskStartedEventAttributes &&
      Number(e.activityTaskStartedEventAttributes.attempt) > 1 &&
      scheduled.get(String(e.activityTaskStartedEventAttributes.scheduledEventId)) === activityType,
  );
  assert.ok(retried.length >= 1, `${activityType} was retried on the second worker after the first died`);
}
