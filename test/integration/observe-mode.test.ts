// Observe mode on the real system, switched the way an operator would: `zt mode observe`. A demo instance
// is really hung; the incident that opens records the plan it would have run and takes no action (no
// restart activity, PM2's restart count untouched), and hands over. `zt mode auto` returns to normal: the
// operator releases the incident and automation heals the instance.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { injectFault } from '../../demo/faults';
import { humanSignals, timelineQuery } from '../../signals/contract';
import { governorStateQuery, governorWorkflowId } from '../../signals/governor';
import { activitySummaries, awaitIncidentRun, awaitStatus, result } from '../helpers/incidents';
import { startTestSystem, waitForHealthy, type TestSystem } from '../helpers/system';
import { restartsOf } from '../helpers/webhook';
import { runZt } from '../helpers/zt';


function zt(sys: TestSystem, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: sys.temporal.address,
    ZT_CONFIG: JSON.stringify({ temporal: { taskQueue: sys.config.temporal.taskQueue }, services: [{ name: sys.service, basePort: sys.basePort, instances: 2 }] }),
    ZT_OPERATOR: 'alice',
  };
  return runZt(args, env);
}

describe('observe mode, switched with zt', () => {
  let sys: TestSystem;

  before(async () => {
    sys = await startTestSystem();
    await sys.startSentinel();
  });
  after(async () => {
    await sys?.stop();
  });

  test('zt mode observe: a hung instance gets a recorded plan and no action; zt mode auto returns to normal', async () => {
    const set = await zt(sys, 'mode', 'observe', '--reason', 'drill: watch before trusting');
    assert.equal(set.code, 0, set.stderr);
    const shown = await zt(sys, 'mode', '--json');
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal((JSON.parse(shown.stdout) as { mode: string; by: string }).mode, 'observe');

    const restartsBefore = await restartsOf(sys, 1);
    await injectFault(sys.instanceUrl(1), { fault: 'hang' });
    const handle = await awaitIncidentRun(sys.temporal.client, sys.workflowId());
    const escalated = await awaitStatus(handle, 'the observe-mode hand-over', (s) => s.phase === 'escalated', 40_000);

    assert.equal(escalated.class, 'deadlock');
    assert.equal(escalated.actions.length, 0, 'no action was taken');
    assert.match(escalated.escalation?.reason ?? '', /observe/);
    const timeline = await handle.query(timelineQuery);
    const planned = timeline.find((e) => e.kind === 'planned');
    assert.ok(planned, `the plan is in the timeline: ${timeline.map((e) => e.kind).join(', ')}`);
    assert.match(planned.summary, /Would run pm2-restart on pm_id \d+; taking no action/);
    const summaries = await activitySummaries(handle);
    assert.ok(!summaries.some((s) => /^pm2-(restart|reload)/.test(s)), `no restart was scheduled: ${summaries.join(' | ')}`);
    assert.equal(await restartsOf(sys, 1), restartsBefore, 'PM2 restarted nothing');

    // The switch itself is recorded in the governor's history and audit, with who did it.
    const governor = sys.temporal.client.workflow.getHandle(governorWorkflowId(sys.config.temporal.taskQueue));
    const audit = (await governor.query(governorStateQuery)).audit;
    assert.ok(audit.some((a) => a.kind === 'mode' && a.actor === 'alice' && /observe/.test(a.summary)), JSON.stringify(audit));

    const back = await zt(sys, 'mode', 'auto', '--reason', 'drill over');
    assert.equal(back.code, 0, back.stderr);
    await handle.signal(humanSignals.release, { operator: 'alice', reason: 'mode is auto again' });
    const report = await result(handle);
    assert.equal(report.outcome, 'auto-resolved');
    assert.equal(report.actions.length, 1);
    assert.equal(report.actions[0]!.action, 'pm2-restart');
    await waitForHealthy(sys.basePort, 2, 5_000);
  });
});
