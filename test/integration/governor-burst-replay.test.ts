// The governor under a burst of permit requests, on a worker that keeps no workflow cache (every workflow
// task replays the whole history, as after a worker restart or a cache eviction under load). Before the
// patch `governor-wakes-after-handlers` the first burst failed its replay ("Update machine does not handle
// this event: TimerStarted"), the governor wedged and every incident after it escalated for want of a permit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { governorBursts, type BurstResult } from '../helpers/governor-bursts';
import { workflowBundle } from '../helpers/system';
import { testTemporal, type TestTemporal } from '../helpers/temporal';

describe('the governor under bursts of permits with no workflow cache', () => {
  let temporal: TestTemporal;
  let result: BurstResult;

  before(async () => {
    temporal = await testTemporal();
    result = await governorBursts(temporal, { services: 30, rounds: 2 });
  });
  after(async () => temporal?.close());

  test('every permit request of every burst is answered and granted', () => {
    for (const [i, round] of result.rounds.entries()) {
      assert.deepEqual(round.failures, [], `round ${i}`);
      assert.equal(round.granted, 30, `round ${i}: ${round.granted} of 30 granted`);
    }
  });

  test('no workflow task failed, and the history carries the patch and replays', async () => {
    const failures = result.taskFailures.map((e) => e.workflowTaskFailedEventAttributes?.failure?.message);
    assert.deepEqual(failures, []);
    const markers = result.events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
    assert.ok(markers.length >= 1, 'the patch marker is recorded');
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, { events: result.events }, result.governor.workflowId);
  });
});
