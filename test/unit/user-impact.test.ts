// The user-impact model of the incident report (reporting/user-impact.ts), table-driven on scrapes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateUserImpact } from '../../reporting/user-impact';
import type { InstanceTraffic, TrafficSample } from '../../signals/incident';

const up = (instance: number, requests: number, errors = 0, startedAt = 1000): InstanceTraffic => ({ instance, reachable: true, startedAt, requests, errors });
const down = (instance: number): InstanceTraffic => ({ instance, reachable: false, startedAt: null, requests: 0, errors: 0, error: 'timeout' });
const at = (seconds: number, ...instances: InstanceTraffic[]): TrafficSample => ({ at: seconds * 1000, instances });
const window = (fromS: number, toS: number, expectedInstances = 2, requestsPerUserPerMinute = 60) => ({ fromMs: fromS * 1000, toMs: toS * 1000, expectedInstances, requestsPerUserPerMinute });

describe('user impact estimate', () => {
  test('a hung instance loses its whole share for the incident; the healthy one is measured', () => {
    // Instance 0 serves 10 req/s without errors over 10 s measured; instance 1 hung the whole 20 s incident.
    const impact = estimateUserImpact(at(5, up(0, 100), down(1)), at(15, up(0, 200), up(1, 3, 0, 2000)), window(0, 20));
    assert.equal(impact.failedRequests, 200, '10 req/s × 20 s of instance 1');
    assert.equal(impact.totalRequests, 400, 'its new process after the restart is inside its lost share, not counted twice');
    assert.equal(impact.durationSeconds, 20);
    assert.match(impact.basis, /instance 1 not answering when the incident opened: its whole share \(200 requests over 20\.0 s\) counted as failed/);
    // 20 requests per user over 20 s at 60/min; error ratio ≈ 0.496: nearly every user had a failure.
    assert.ok(impact.affectedUsers > 19 && impact.affectedUsers <= 21, String(impact.affectedUsers));
  });

  test('5xx answers of a live instance are its failed requests, extrapolated over the incident', () => {
    const impact = estimateUserImpact(at(0, up(0, 0), up(1, 0)), at(10, up(0, 100, 50), up(1, 100, 0)), window(0, 20, 2, 6));
    assert.equal(impact.failedRequests, 100, '5 errors/s over 20 s');
    assert.equal(impact.totalRequests, 400);
    assert.equal(impact.errorRatio, 0.25);
    // 2 requests per user over 20 s: users 200, affected 1 − 0.75² = 43.75 %.
    assert.equal(impact.affectedUsers, 88);
  });

  test('no traffic: zero impact, and the basis says so', () => {
    const impact = estimateUserImpact(at(0, up(0, 7), up(1, 7)), at(10, up(0, 7), up(1, 7)), window(0, 10));
    assert.deepEqual([impact.failedRequests, impact.totalRequests, impact.affectedUsers, impact.errorRatio], [0, 0, 0, 0]);
    assert.match(impact.basis, /no user traffic seen/);
  });

  test('a restarted instance counts what its new process recorded, as a lower bound', () => {
    const impact = estimateUserImpact(at(0, up(0, 50), up(1, 50)), at(10, up(0, 150), up(1, 20, 4, 2000)), window(0, 10));
    assert.equal(impact.failedRequests, 4);
    assert.equal(impact.totalRequests, 100 + 20);
    assert.match(impact.basis, /instance 1 restarted in between: only its new process's 20 requests counted \(a lower bound\)/);
  });

  test('nothing measurable at all: unknown traffic is not invented', () => {
    const impact = estimateUserImpact(at(0, down(0), down(1)), at(10, down(0), down(1)), window(0, 10));
    assert.equal(impact.totalRequests, 0);
    assert.match(impact.basis, /no other instance measured: its traffic is unknown/);
  });

  test('without a first sample only the last one is used, and the basis says so', () => {
    const impact = estimateUserImpact(null, at(10, up(0, 30, 3), up(1, 30)), window(0, 10));
    assert.match(impact.basis, /no measurement when the incident opened/);
  });
});
