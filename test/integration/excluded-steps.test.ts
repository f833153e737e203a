// Exclusions and the operator allowlist on the real system. A user's catalog file (policy.catalogFiles)
// gives the deadlock signature an excluded first step (data deletion): with a demo instance really hung,
// the incident waits for `approve` and says why, runs nothing, ignores signals from people outside the
// `operators` allowlist, and an allowed operator's approve hands them the incident — still with no action.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { injectFault } from '../../demo/faults';
import { SHIPPED_CATALOG } from '../../policy/catalog/load';
import { humanSignals, timelineQuery } from '../../signals/contract';
import { activitySummaries, awaitIncidentRun, awaitStatus, result } from '../helpers/incidents';
import { startTestSystem, type TestSystem } from '../helpers/system';

/** The shipped deadlock signature with a playbook that starts with an excluded step. */
async function catalogWithExcludedStep(dir: string): Promise<string> {
  const shipped = JSON.parse(await readFile(SHIPPED_CATALOG, 'utf8')) as { signatures: Array<Record<string, unknown>> };
  const deadlock = shipped.signatures.find((s) => s.id === 'event-loop-deadlock');
  assert.ok(deadlock, 'the shipped catalog has event-loop-deadlock');
  const { playbookRules: _rules, ...rest } = deadlock;
  const file = path.join(dir, 'catalog-excluded.json');
  await writeFile(file, JSON.stringify({ description: 'test: deadlocks need a data clean-up first', signatures: [{ ...rest, playbook: ['data-deletion', 'pm2-restart'] }] }));
  return file;
}

describe('an excluded playbook step and the operator allowlist, on the real system', () => {
  let sys: TestSystem;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'zt-excluded-'));
    const catalogFile = await catalogWithExcludedStep(dir);
    sys = await startTestSystem({ config: { policy: { catalogFiles: [catalogFile] }, operators: ['dana', 'erin'] } });
    await sys.startSentinel();
  });
  after(async () => {
    await sys?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the step waits for approve, outsiders are ignored, the approver takes it over, nothing runs', async () => {
    const restartsBefore = (await sys.pm2.listApp(sys.service)).find((p) => p.instance === 1)!.restarts;
    await injectFault(sys.instanceUrl(1), { fault: 'hang' });
    const handle = await awaitIncidentRun(sys.temporal.client, sys.workflowId());

    const waiting = await awaitStatus(handle, 'the excluded step to wait for approval', (s) => s.phase === 'awaiting-approval', 40_000);
    assert.equal(waiting.class, 'deadlock');
    assert.equal(waiting.actions.length, 0);
    const timeline = await handle.query(timelineQuery);
    const asked = timeline.find((e) => e.kind === 'awaiting-approval');
    assert.ok(asked, timeline.map((e) => e.kind).join(', '));
    assert.match(asked.summary, /data deletion is excluded from zero-touch: data-deletion waits for a human's approve/);

    // Someone outside the allowlist cannot approve it (nor take it over).
    await handle.signal(humanSignals.approve, { operator: 'mallory' });
    await handle.signal(humanSignals.takeOver, { operator: 'mallory' });
    const ignored = await (async () => {
      for (let i = 0; i < 50; i++) {
        const t = await handle.query(timelineQuery);
        const hits = t.filter((e) => e.kind === 'signal-ignored' && e.operator === 'mallory');
        if (hits.length === 2) return hits;
        await new Promise((r) => setTimeout(r, 100));
      }
      return [];
    })();
    assert.equal(ignored.length, 2, 'both outsider signals are recorded as ignored');
    assert.ok(ignored.every((e) => /not on the operator allowlist/.test(e.summary)));
    const still = await handle.query(timelineQuery);
    assert.ok(!still.some((e) => e.kind === 'approved'), 'the outsider did not approve');
    assert.equal((await awaitStatus(handle, 'still waiting', (s) => s.phase === 'awaiting-approval')).controller, null);

    // An allowed operator approves: the step is theirs to carry out by hand; zero-touch runs nothing.
    await handle.signal(humanSignals.approve, { operator: 'dana', reason: 'I will clean the rows by hand' });
    const held = await awaitStatus(handle, 'the hand-over to the approver', (s) => s.phase === 'human-control', 20_000);
    assert.equal(held.controller, 'dana');
    assert.equal(held.actions.length, 0);
    assert.ok((await handle.query(timelineQuery)).some((e) => e.kind === 'handed-over' && e.operator === 'dana'));
    const summaries = await activitySummaries(handle);
    assert.ok(!summaries.some((s) => /^pm2-(restart|reload)|^Ask the governor for a permit/.test(s)), summaries.join(' | '));
    // The lease asked while diagnosing went back unused, its budget slot with it.
    const leases = summaries.filter((s) => s.startsWith('Ask the governor for a lease')).length;
    assert.equal(summaries.filter((s) => /^Return the governor's permit .*: unused$/.test(s)).length, leases, summaries.join(' | '));
    assert.equal((await sys.pm2.listApp(sys.service)).find((p) => p.instance === 1)!.restarts, restartsBefore, 'PM2 restarted nothing');

    await handle.signal(humanSignals.resolve, { operator: 'dana', rootCause: 'stale rows blocked the event loop', fix: 'deleted them by hand' });
    const report = await result(handle);
    assert.equal(report.outcome, 'resolved-by-human');
    assert.deepEqual([...new Set(report.humans.map((h) => h.operator))].sort(), ['dana']);
  });
});
