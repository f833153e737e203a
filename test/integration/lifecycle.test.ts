// The foundation's acceptance on real Temporal and real PM2: a hung instance heals itself; a crash
// loop fails twice, escalates and freezes until a human resolves it. The sentinel detects both.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clearPersistentFaults, injectFault, setPersistentFault } from '../../demo/faults';
import { humanSignals, timelineQuery } from '../../signals/contract';
import { IncidentClass, IncidentOutcome } from '../../signals/search-attributes';
import { startTestSystem, waitForHealthy, type TestSystem } from '../helpers/system';
import { activitySummaries, awaitIncidentRun, awaitStatus, latestRunId, recordHistory, result, status } from '../helpers/incidents';

describe('incident lifecycle on real Temporal and PM2', () => {
  let sys: TestSystem;
  let workflowId: string;

  before(async () => {
    sys = await startTestSystem();
    workflowId = sys.workflowId();
    await sys.startSentinel();
  });
  after(async () => {
    await sys?.stop();
  });

  test('a hung instance is detected, restarted, verified and the incident closes auto-resolved', async () => {
    const previous = await latestRunId(sys.temporal.client, workflowId);
    const [hungPmId] = (await sys.pm2.listApp(sys.service)).filter((p) => p.instance === 1).map((p) => p.pmId);
    const faultAt = Date.now();
    await injectFault(sys.instanceUrl(1), { fault: 'hang' });

    const handle = await awaitIncidentRun(sys.temporal.client, workflowId, previous);
    const report = await result(handle);
    const recoveredAfter = (Date.now() - faultAt) / 1000;

    assert.equal(report.outcome, 'auto-resolved');
    assert.equal(report.class, 'deadlock');
    assert.equal(report.actions.length, 1);
    assert.equal(report.actions[0]!.action, 'pm2-restart');
    assert.deepEqual(report.actions[0]!.pmIds, [hungPmId]);
    assert.equal(report.actions[0]!.verified, true);
    assert.equal(report.escalation, null);
    assert.match(report.incidentId, /^INC-\d{8}-[0-9a-f]{8}$/);
    assert.ok(report.ttrSeconds > 0 && report.ttrSeconds < 60, `TTR ${report.ttrSeconds}`);
    await waitForHealthy(sys.basePort, 2, 5_000);

    const summaries = await activitySummaries(handle);
    // The governor's lease is asked beside the diagnosis (evidence and classification in one step; either may finish first), then the restart.
    const steps = summaries.map((s) => s.split(' ')[0]);
    assert.deepEqual([steps[0], ...steps.slice(1, 3).sort(), ...steps.slice(3)], ['Measure', 'Ask', 'Diagnose', 'pm2-restart', 'Verify', 'Return', 'Estimate', 'Report'], `activity summaries: ${summaries.join(' | ')}`);
    assert.ok(summaries.some((s) => s.startsWith(`Ask the governor for a lease on ${sys.service} while diagnosing`)), summaries.join(' | '));
    assert.ok(summaries.every((s) => s.length > 20), 'every activity has a readable summary');
    const described = await handle.describe();
    assert.match((await described.staticSummary()) ?? '', new RegExp(`^${sys.service}: `));
    assert.equal(described.typedSearchAttributes.get(IncidentOutcome), 'auto-resolved');
    assert.equal(described.typedSearchAttributes.get(IncidentClass), 'deadlock');
    await recordHistory(handle, 'hang-auto-resolved', sys.temporal.address);
    console.log(`# hang: fault → verified recovery in ${recoveredAfter.toFixed(1)} s (workflow TTR ${report.ttrSeconds.toFixed(1)} s)`);
  });

  test('a crash loop fails exactly twice, escalates with automation frozen and waits for a human resolve', async () => {
    const previous = await latestRunId(sys.temporal.client, workflowId);
    await setPersistentFault(sys.stateDir, 0, { fault: 'crash-loop', delayMs: 300 });
    await injectFault(sys.instanceUrl(0), { fault: 'crash' });

    const handle = await awaitIncidentRun(sys.temporal.client, workflowId, previous);
    const escalated = await awaitStatus(handle, 'escalation', (s) => s.frozen, 90_000);
    assert.match(escalated.escalation!.reason, /recovery failed 2 times/);
    assert.equal(escalated.phase, 'escalated');
    assert.equal(escalated.class, 'process-crash');
    assert.equal(escalated.failedAttempts, 2);
    assert.equal(escalated.actions.length, 2);
    assert.ok(escalated.actions.every((a) => a.verified === false));

    // Frozen means frozen: the crash loop goes on, but no third action is taken.
    await new Promise((r) => setTimeout(r, 6_000));
    const later = await status(handle);
    assert.equal(later.actions.length, 2, 'no automatic action after escalation');
    assert.equal(later.phase, 'escalated', JSON.stringify(await handle.query(timelineQuery), null, 1));

    await clearPersistentFaults(sys.stateDir, 0);
    await handle.signal(humanSignals.resolve, { operator: 'alice', rootCause: 'bad config on instance 0', fix: 'config reverted' });
    const report = await result(handle);
    assert.equal(report.outcome, 'resolved-by-human');
    assert.equal(report.resolution?.operator, 'alice');
    assert.equal(report.actions.length, 2);
    assert.ok(report.humans.some((h) => h.operator === 'alice' && h.signal === 'resolve'));
    await recordHistory(handle, 'crash-loop-escalated', sys.temporal.address);

    const [p0] = (await sys.pm2.listApp(sys.service)).filter((p) => p.instance === 0);
    await sys.pm2.restart(p0!.pmId);
    await waitForHealthy(sys.basePort, 2, 15_000);
  });
});
