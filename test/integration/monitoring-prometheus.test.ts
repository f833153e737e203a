// The whole monitoring path on real peers: a real fault in the demo target, real traffic, Prometheus
// scraping it and evaluating the shipped rules, Alertmanager routing the firing alert to the ingress,
// and the incident opening for the right service and signature group.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { injectFault } from '../../demo/faults';
import { IncidentService } from '../../signals/search-attributes';
import { awaitIncidentRun, awaitStatus } from '../helpers/incidents';
import type { Monitoring } from '../helpers/monitoring';
import { startMonitoredSystem, type MonitoredSystem } from '../helpers/monitored-system';
import type { TestSystem } from '../helpers/system';

let sys: TestSystem;
let monitoring: Monitoring;
let system: MonitoredSystem;

before(async () => {
  system = await startMonitoredSystem();
  ({ sys, monitoring } = system);
});

after(async () => {
  await system?.stop();
});

/**
 * API traffic to every instance until stopped, ~20 requests/s each, loopback only. Bounded by `maxMs`
 * so a test that never sees its incident cannot leave load running.
 */
function generateTraffic(urls: string[], maxMs: number): { stop(): Promise<void> } {
  const deadline = Date.now() + maxMs;
  let stopped = false;
  const loops = urls.map(async (base) => {
    while (!stopped && Date.now() < deadline) {
      await fetch(`${base}/api/videos`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.arrayBuffer(), () => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

test('a 5xx fault on one instance fires the shipped HighErrorRatio rule and opens a traffic incident', async (t) => {
  const workflowId = sys.workflowId('traffic');
  const faultAt = Date.now();
  await injectFault(sys.instanceUrl(0), { fault: 'errors', rate: 1 });
  const traffic = generateTraffic([sys.instanceUrl(0), sys.instanceUrl(1)], 60_000);
  try {
    const handle = await awaitIncidentRun(sys.temporal.client, workflowId, undefined, 60_000).catch(async (err: Error) => {
      throw new Error(`${err.message}; Prometheus alerts: ${JSON.stringify(await monitoring.prometheusAlerts())}`);
    });
    t.diagnostic(`fault → incident via Prometheus and Alertmanager: ${Date.now() - faultAt} ms`);

    const described = await handle.describe();
    assert.equal(described.typedSearchAttributes.get(IncidentService), sys.service);
    const status = await awaitStatus(handle, 'the Prometheus alert recorded in the incident', (s) => s.alerts.received >= 1, 10_000);
    assert.equal(status.key, `${sys.service}.traffic`);
    assert.equal(status.alerts.lastName, 'HighErrorRatio');

    // Only the faulty instance is named: the healthy one's error ratio stays at zero.
    const firing = (await monitoring.prometheusAlerts()).filter((a) => a.labels.alertname === 'HighErrorRatio' && a.state === 'firing');
    assert.deepEqual(
      firing.map((a) => [a.labels.service, a.labels.pm2_instance]),
      [[sys.service, '0']],
    );
  } finally {
    await traffic.stop();
  }
});
