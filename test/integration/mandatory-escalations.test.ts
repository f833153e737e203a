// The mandatory escalations of the specification on the real system: a demo instance is really hung,
// so a restart would be the obvious move, and yet an Alertmanager alert labelled with a risk (security,
// billing, data consistency, auth) or a service tagged auth/billing must escalate at once with no action
// taken: no restart activity in the history, the instance's PM2 restart count untouched, a page sent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { injectFault } from '../../demo/faults';
import { humanSignals } from '../../signals/contract';
import { activitySummaries, awaitIncidentRun, awaitStatus, latestRunId, result } from '../helpers/incidents';
import { startTestSystem, type TestSystem } from '../helpers/system';
import { postHealthTimeout, restartsOf, startIngress, type TestIngress } from '../helpers/webhook';

const TOKEN = randomBytes(24).toString('hex');

/** Waits for the escalation, checks nothing was done, then a human resolves it so the next case starts fresh. */
async function expectEscalatedWithoutAction(sys: TestSystem, handle: WorkflowHandle, reason: RegExp, restartsBefore: number): Promise<void> {
  const s = await awaitStatus(handle, 'an escalation', (x) => x.phase === 'escalated', 30_000);
  assert.match(s.escalation?.reason ?? '', reason);
  assert.equal(s.actions.length, 0, 'no action was taken');
  const summaries = await activitySummaries(handle);
  assert.ok(summaries.some((x) => x.startsWith('Page on-call')), `a page went out: ${summaries.join(' | ')}`);
  assert.ok(!summaries.some((x) => /^pm2-(restart|reload)/.test(x)), `no restart was scheduled: ${summaries.join(' | ')}`);
  assert.equal(await restartsOf(sys, 0), restartsBefore, 'PM2 restarted nothing');
  // Frozen: nothing more happens on its own.
  await new Promise((r) => setTimeout(r, 2_000));
  assert.equal((await awaitStatus(handle, 'still escalated', (x) => x.phase === 'escalated')).actions.length, 0);
  await handle.signal(humanSignals.resolve, { operator: 'oncall', rootCause: 'test case done' });
  assert.equal((await result(handle)).outcome, 'resolved-by-human');
}

describe('mandatory escalations on the real system (hung demo instance, real ingress, Temporal, PM2)', () => {
  let sys: TestSystem;
  let ingress: TestIngress;

  before(async () => {
    sys = await startTestSystem({ config: { http: { webhookToken: TOKEN } } });
    ingress = await startIngress(sys);
    await injectFault(sys.instanceUrl(0), { fault: 'hang' });
  });
  after(async () => {
    await ingress?.app.close();
    await sys?.stop();
  });

  for (const risk of ['security', 'billing', 'data-consistency', 'auth'] as const) {
    test(`an Alertmanager alert labelled risk=${risk} escalates without any action`, async () => {
      const previous = await latestRunId(sys.temporal.client, sys.workflowId());
      const restartsBefore = await restartsOf(sys, 0);
      const response = await postHealthTimeout(ingress, TOKEN, sys.service, { risk });
      assert.equal(response.status, 202, await response.clone().text());
      const handle = await awaitIncidentRun(sys.temporal.client, sys.workflowId(), previous);
      await expectEscalatedWithoutAction(sys, handle, new RegExp(`risk signals present \\(${risk}\\)`), restartsBefore);
    });
  }

  test('the same alert without a risk label is remediated (the control case)', async () => {
    const previous = await latestRunId(sys.temporal.client, sys.workflowId());
    const response = await postHealthTimeout(ingress, TOKEN, sys.service, {});
    assert.equal(response.status, 202);
    const handle = await awaitIncidentRun(sys.temporal.client, sys.workflowId(), previous);
    const report = await result(handle);
    assert.equal(report.outcome, 'auto-resolved');
    assert.equal(report.actions[0]?.action, 'pm2-restart');
  });
});

describe('a service tagged billing escalates every incident', () => {
  let sys: TestSystem;
  let ingress: TestIngress;

  before(async () => {
    sys = await startTestSystem({ tags: ['billing'], config: { http: { webhookToken: TOKEN } } });
    ingress = await startIngress(sys);
    await injectFault(sys.instanceUrl(0), { fault: 'hang' });
  });
  after(async () => {
    await ingress?.app.close();
    await sys?.stop();
  });

  test('a plain health alert for it escalates without any action', async () => {
    const restartsBefore = await restartsOf(sys, 0);
    const response = await postHealthTimeout(ingress, TOKEN, sys.service, {});
    assert.equal(response.status, 202);
    const handle = await awaitIncidentRun(sys.temporal.client, sys.workflowId());
    await expectEscalatedWithoutAction(sys, handle, /risk signals present \(billing\)/, restartsBefore);
  });
});
