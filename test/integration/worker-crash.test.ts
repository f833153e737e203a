// A worker killed in the middle of an action: the incident runs in a worker process of its own, which is
// SIGKILLed while the restart activity is running; a second worker process picks the incident up (the
// activity's heartbeat times out and it is retried there), and the instance is restarted exactly once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../config/load';
import { demoApp } from '../../demo/ecosystem';
import { injectFault } from '../../demo/faults';
import { Ingest } from '../../ingress/ingest';
import { Pm2Client } from '../../pm2/client';
import { alertSchema } from '../../signals/alert';
import { awaitIncidentRun, result } from '../helpers/incidents';
import { eventually, freePortRange, waitForHealthy } from '../helpers/system';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

const ROOT = path.resolve(__dirname, '../..');

function startWorkerProcess(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workers/worker.ts')], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
}

describe('a worker killed mid-action', () => {
  let temporal: TestTemporal;
  let pm2: Pm2Client;
  let dir: string;
  const workers: ChildProcess[] = [];

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
    const env = { ...process.env, ZT_CONFIG: JSON.stringify(rawConfig), TEMPORAL_ADDRESS: temporal.address, ZT_LOG_LEVEL: 'warn' };

    const first = startWorkerProcess(env);
    workers.push(first);
    const hung = (await pm2.listApp(service)).find((p) => p.instance === 1)!;
    await injectFault(`http://127.0.0.1:${basePort + 1}`, { fault: 'hang' });
    await new Ingest(temporal.client, config).ingest([
      alertSchema.parse({
        source: 'generic',
        service,
        name: 'InstanceHealthTimeout',
        status: 'firing',
        instance: 1,
        summary: 'health check timed out',
        startsAt: new Date().toISOString(),
        fingerprint: `${service}-hang-1`,
      }),
    ]);
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
    const history = await handle.fetchHistory();
    const restartAttempts = (history.events ?? []).filter(
      (e) => e.activityTaskStartedEventAttributes && Number(e.activityTaskStartedEventAttributes.attempt) > 1,
    );
    assert.ok(restartAttempts.length >= 1, 'an activity was retried on the second worker after the first died');
    second.kill('SIGTERM');
  });
});
