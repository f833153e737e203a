// Detection of the availability classes from real faults in the demo target under real PM2, through
// the real sentinel: each fault is named correctly, in time, and benign blips raise nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clearFaults, clearPersistentFaults, injectFault, setPersistentFault } from '../../demo/faults';
import { createLogger } from '../../observability/logger';
import { classOfAlert } from '../../policy/alert-classes';
import { startSentinel } from '../../sentinel';
import { startTestSystem, waitForHealthy, type TestSystem } from '../helpers/system';
import { RecordingSink } from '../helpers/recording-sink';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('availability detection on the real demo target', () => {
  let sys: TestSystem;
  let sentinel: { stop(): Promise<void> };
  const recorder = new RecordingSink();

  before(async () => {
    sys = await startTestSystem();
    sentinel = await startSentinel({ config: sys.config, pm2: sys.pm2, sink: recorder.sink, logger: createLogger('test') });
  });
  after(async () => {
    await sentinel?.stop();
    await sys?.stop();
  });

  async function healAll(): Promise<void> {
    for (const p of await sys.pm2.listApp(sys.service)) await sys.pm2.restart(p.pmId);
    await waitForHealthy(sys.basePort, 2);
  }

  const cases: Array<{ klass: string; alert: string; within: number; inject: () => Promise<void>; instance: number }> = [
    { klass: 'process-crash', alert: 'ProcessExited', within: 1, instance: 0, inject: async () => void (await injectFault(sys.instanceUrl(0), { fault: 'crash' })) },
    { klass: 'deadlock', alert: 'InstanceHealthTimeout', within: 3, instance: 1, inject: async () => void (await injectFault(sys.instanceUrl(1), { fault: 'hang' })) },
    { klass: 'unhealthy-health-check', alert: 'InstanceUnhealthy', within: 3, instance: 0, inject: async () => void (await injectFault(sys.instanceUrl(0), { fault: 'unhealthy' })) },
    {
      klass: 'process-crash',
      alert: 'ProcessCrashLoop',
      within: 6,
      instance: 1,
      inject: async () => {
        await setPersistentFault(sys.stateDir, 1, { fault: 'crash-loop', delayMs: 300 });
        await injectFault(sys.instanceUrl(1), { fault: 'crash' });
      },
    },
  ];

  for (const c of cases) {
    test(`${c.klass}: ${c.alert} within ${c.within} s`, async () => {
      const since = Date.now();
      await c.inject();
      const seen = await recorder.waitFor(c.alert, since, 20_000, (r) => r.alert.instance === c.instance);
      const seconds = (seen.at - since) / 1000;
      console.log(`# detect ${c.klass} (${c.alert}): ${seconds.toFixed(2)} s`);
      assert.equal(classOfAlert(c.alert), c.klass);
      assert.equal(seen.alert.service, sys.service);
      assert.ok(seconds <= c.within * 2, `detected in ${seconds} s`);
      await clearPersistentFaults(sys.stateDir);
      await healAll();
    });
  }

  test('false positives: one failed probe and a restart we asked for raise nothing', async () => {
    const since = Date.now();
    await injectFault(sys.instanceUrl(0), { fault: 'unhealthy' });
    await sleep(sys.config.sentinel.probeIntervalMs * 0.4);
    await clearFaults(sys.instanceUrl(0));
    const [p1] = (await sys.pm2.listApp(sys.service)).filter((p) => p.instance === 1);
    await sys.pm2.restart(p1!.pmId);
    await sleep(5_000);
    const raised = recorder.alerts.filter((r) => r.at >= since && r.alert.status === 'firing');
    assert.deepEqual(raised.map((r) => `${r.alert.name}: ${r.alert.summary} (+${r.at - since} ms)`), []);
  });
});
