// Automation never blocks human control: pause, resume, takeOver and release sent with the stock
// Temporal CLI take effect at the next step boundary, and the status query shows all of it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { injectFault } from '../../demo/faults';
import { alertSchema } from '../../signals/alert';
import type { IncidentStatus, TimelineEntry } from '../../signals/incident';
import { startTestSystem, type TestSystem } from '../helpers/system';
import { awaitIncidentRun, awaitStatus, latestRunId, result, status } from '../helpers/incidents';
import { cliQuery, cliSignal } from '../helpers/temporal-cli';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('human control from the stock Temporal CLI', () => {
  let sys: TestSystem;
  let workflowId: string;

  before(async () => {
    sys = await startTestSystem();
    workflowId = sys.workflowId();
  });
  after(async () => {
    await sys?.stop();
  });

  /** A real fault on one instance plus the alert a monitor would send about it. */
  async function openIncident(instance: number) {
    const previous = await latestRunId(sys.temporal.client, workflowId);
    await injectFault(sys.instanceUrl(instance), { fault: 'unhealthy' });
    await sys.ingest.ingest([
      alertSchema.parse({
        source: 'alertmanager',
        service: sys.service,
        name: 'InstanceUnhealthy',
        status: 'firing',
        instance,
        startsAt: new Date().toISOString(),
        fingerprint: `test-unhealthy-${instance}-${Date.now()}`,
      }),
    ]);
    return awaitIncidentRun(sys.temporal.client, workflowId, previous);
  }

  // The stock CLI re-encodes query results through Go, which prints an empty array as null.
  const actionsAfter = (s: IncidentStatus, at: string) => (s.actions ?? []).filter((a) => a.startedAt > at);
  const entry = (timeline: TimelineEntry[], kind: string) => timeline.find((e) => e.kind === kind);

  test('pause stops automation at the next step boundary and resume continues', async () => {
    const handle = await openIncident(0);
    await cliSignal(sys.temporal.address, workflowId, 'pause', { operator: 'alice', reason: 'investigating' });

    const paused = await awaitStatus(handle, 'phase paused', (s) => s.phase === 'paused');
    assert.equal(paused.paused, true);
    assert.equal(paused.pausedBy, 'alice');
    const pausedAt = entry(await handle.query<TimelineEntry[]>('timeline'), 'paused')!.at;
    await sleep(4_000);
    const still = await cliQuery<IncidentStatus>(sys.temporal.address, workflowId, 'status');
    assert.equal(still.phase, 'paused', 'the stock CLI status query shows the pause');
    assert.equal(actionsAfter(still, pausedAt).length, 0, 'no step is taken while paused');

    await cliSignal(sys.temporal.address, workflowId, 'resume', { operator: 'alice' });
    const report = await result(handle);
    assert.equal(report.outcome, 'auto-resolved');
    assert.equal(report.class, 'unhealthy-health-check');
    assert.deepEqual(report.humans.map((h) => `${h.operator}:${h.signal}`), ['alice:pause', 'alice:resume']);
    const resumedAt = report.humans[1]!.at;
    assert.ok(report.actions.every((a) => a.startedAt < pausedAt || a.startedAt >= resumedAt), 'actions only outside the pause');
  });

  test('takeOver hands control to the operator, no automatic action runs, release hands it back', async () => {
    const handle = await openIncident(1);
    await cliSignal(sys.temporal.address, workflowId, 'takeOver', { operator: 'bob', reason: 'I know this one' });

    const held = await awaitStatus(handle, 'human control', (s) => s.phase === 'human-control');
    assert.equal(held.controller, 'bob');
    const takenAt = entry(await handle.query<TimelineEntry[]>('timeline'), 'taken-over')!.at;
    await sleep(4_000);
    const still = await cliQuery<IncidentStatus>(sys.temporal.address, workflowId, 'status');
    assert.equal(still.controller, 'bob');
    assert.equal(still.phase, 'human-control');
    assert.equal(actionsAfter(still, takenAt).length, 0, 'no automatic action after takeOver');

    // A signal without an operator is recorded and ignored, never half-applied.
    await cliSignal(sys.temporal.address, workflowId, 'release', { reason: 'no name given' });
    await sleep(500);
    const unchanged = await status(handle);
    assert.equal(unchanged.controller, 'bob');
    const rejected = entry(await handle.query<TimelineEntry[]>('timeline'), 'signal-rejected');
    assert.match(rejected!.summary, /release: operator/);

    await cliSignal(sys.temporal.address, workflowId, 'release', { operator: 'bob' });
    const report = await result(handle);
    assert.equal(report.outcome, 'auto-resolved');
    assert.deepEqual(report.humans.map((h) => `${h.operator}:${h.signal}`), ['bob:takeOver', 'bob:release']);
    const releasedAt = report.humans[1]!.at;
    assert.ok(report.actions.length >= 1 && report.actions.every((a) => a.startedAt >= releasedAt || a.startedAt < takenAt));
  });
});
