// The reliability drills' summaries: pass/fail of a drill, the printed table, restarts PM2 counted against
// the restarts the reports recorded, actions doubled within a report, the JSON document's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareRestarts,
  drillOk,
  duplicateActions,
  failedDrill,
  formatTable,
  quantile,
  reliabilityReport,
  type DrillResult,
} from '../../drills/reliability/summary';

const good: DrillResult = { drill: 'worker SIGKILL mid-incident', runs: 20, passed: 20, lost: 0, duplicated: 0, details: {} };

test('a drill passes only when every run passed and nothing was lost or doubled', () => {
  assert.equal(drillOk(good), true);
  assert.equal(drillOk({ ...good, passed: 19 }), false);
  assert.equal(drillOk({ ...good, lost: 1 }), false);
  assert.equal(drillOk({ ...good, duplicated: 1 }), false);
  assert.equal(drillOk({ ...good, runs: 0, passed: 0 }), false);
});

test('a drill that threw is one failed run with the error in its details', () => {
  const r = failedDrill('ledger-outage', new TypeError('boom'));
  assert.deepEqual([r.runs, r.passed, r.lost, r.duplicated], [1, 0, 0, 0]);
  assert.equal(r.details.error, 'TypeError: boom');
  assert.equal(drillOk(r), false);
});

test('the table has a row per drill with PASS or FAIL', () => {
  const text = formatTable([good, { ...good, drill: 'fuzz', runs: 10_000, passed: 9_999 }]);
  const lines = text.split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /^drill\s+runs\s+passed\s+lost\s+duplicated\s+result$/);
  assert.match(lines[2]!, /worker SIGKILL mid-incident\s+20\s+20\s+0\s+0\s+PASS$/);
  assert.match(lines[3]!, /fuzz\s+10000\s+9999\s+0\s+0\s+FAIL$/);
});

test('the report has a drills array and is ok only when every drill passed', () => {
  const at = new Date('2026-11-30T16:00:00Z');
  const r = reliabilityReport([good], { cpus: 2, node: 'v20' }, at);
  assert.equal(r.measuredAt, '2026-11-30T16:00:00.000Z');
  assert.equal(r.ok, true);
  assert.ok(Array.isArray(r.drills));
  assert.equal(reliabilityReport([good, { ...good, lost: 2 }], { cpus: 2, node: 'v20' }, at).ok, false);
  assert.equal(reliabilityReport([], { cpus: 2, node: 'v20' }, at).ok, false);
});

test('PM2 restarts beyond the recorded ones are duplicates; recorded ones PM2 never saw are missing', () => {
  const r = compareRestarts({ '0': 3, '1': 2, '2': 0 }, { '0': 3, '1': 1, '3': 1 });
  assert.equal(r.duplicated, 1);
  assert.equal(r.missing, 1);
  assert.deepEqual(r.perInstance['1'], { pm2: 2, reported: 1 });
  assert.deepEqual(r.perInstance['3'], { pm2: 0, reported: 1 });
  assert.deepEqual(compareRestarts({}, {}), { duplicated: 0, missing: 0, perInstance: {} });
});

test('an action recorded twice in a report under one idempotency key is counted', () => {
  assert.equal(duplicateActions([{ idempotencyKey: 'a/1' }, { idempotencyKey: 'a/2' }]), 0);
  assert.equal(duplicateActions([{ idempotencyKey: 'a/1' }, { idempotencyKey: 'a/1' }, { idempotencyKey: 'a/1' }]), 2);
});

test('quantiles are nearest-rank', () => {
  assert.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5), 5);
  assert.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95), 10);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});
