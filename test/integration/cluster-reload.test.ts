// Cluster mode: when every instance of a cluster-mode app is hung, the playbook is PM2's rolling
// reload (new workers replace old ones without downtime), run and verified against real PM2.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { injectFault } from '../../demo/faults';
import { startTestSystem, waitForHealthy, type TestSystem } from '../helpers/system';
import { awaitIncidentRun, latestRunId, result } from '../helpers/incidents';

describe('cluster mode on real PM2', () => {
  let sys: TestSystem;
  before(async () => {
    sys = await startTestSystem({ execMode: 'cluster' });
    await sys.startSentinel();
  });
  after(async () => {
    await sys?.stop();
  });

  test('every instance hung → pm2-reload → verified → auto-resolved', async () => {
    const before = await sys.pm2.listApp(sys.service);
    assert.ok(before.every((p) => p.execMode === 'cluster'), 'the demo runs in cluster mode');
    const previous = await latestRunId(sys.temporal.client, sys.workflowId());
    await Promise.all([0, 1].map((i) => injectFault(sys.instanceUrl(i), { fault: 'hang' })));

    const handle = await awaitIncidentRun(sys.temporal.client, sys.workflowId(), previous);
    const report = await result(handle);
    assert.equal(report.outcome, 'auto-resolved', JSON.stringify(report.actions));
    assert.equal(report.class, 'deadlock');
    assert.equal(report.severity, 'medium', 'all capacity was down');
    assert.equal(report.actions[0]!.action, 'pm2-reload');
    assert.equal(report.actions[0]!.verified, true);
    await waitForHealthy(sys.basePort, 2, 5_000);
    const after = await sys.pm2.listApp(sys.service);
    assert.ok(after.every((p) => !before.some((b) => b.pid === p.pid)), 'every worker was replaced');
  });
});
