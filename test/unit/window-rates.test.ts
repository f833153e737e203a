// Window math over snapshots: increases across steps, counter resets (a counter going down, a new process
// start time), routes that appear later, and histogram_quantile-style estimates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toSnapshot, type Bucket, type Snapshot } from '../../sentinel/detectors/route-snapshot';
import { increaseSince, prune, quantile } from '../../sentinel/detectors/window-rates';
import { parsePrometheusText } from '../../probes/prometheus-text';

const LES = [0.1, 0.5, 1, Infinity];
/** A snapshot of one route: `fast` requests under 100 ms, `slow` between 0.5 and 1 s, `errors` of them 5xx. */
function snap(at: number, routes: Record<string, { fast: number; slow: number; errors?: number }>, startedAt: number | null = 1): Snapshot {
  const out: Snapshot['routes'] = {};
  for (const [route, r] of Object.entries(routes)) {
    const cumulative = [r.fast, r.fast, r.fast + r.slow, r.fast + r.slow];
    out[route] = { requests: r.fast + r.slow, errors: r.errors ?? 0, latency: LES.map((le, i) => ({ le, count: cumulative[i]! })) };
  }
  return { at, startedAt, routes: out };
}

const cases: Array<{ name: string; history: Snapshot[]; since: number; want: Record<string, { requests: number; errors: number; total: number }> | null }> = [
  { name: 'one snapshot is not a window', history: [snap(0, { '/a': { fast: 5, slow: 0 } })], since: 0, want: null },
  {
    name: 'plain increase from the baseline at or before `since`',
    history: [snap(0, { '/a': { fast: 5, slow: 0 } }), snap(1000, { '/a': { fast: 8, slow: 1 } }), snap(2000, { '/a': { fast: 10, slow: 2, errors: 1 } })],
    since: 1000,
    want: { '/a': { requests: 3, errors: 1, total: 3 } },
  },
  {
    name: 'history shorter than the window starts at the oldest snapshot',
    history: [snap(5000, { '/a': { fast: 5, slow: 0 } }), snap(6000, { '/a': { fast: 9, slow: 0 } })],
    since: 0,
    want: { '/a': { requests: 4, errors: 0, total: 4 } },
  },
  {
    name: 'counter reset (values went down) counts the new values whole',
    history: [snap(0, { '/a': { fast: 100, slow: 0 } }), snap(1000, { '/a': { fast: 3, slow: 1 } }, null), snap(2000, { '/a': { fast: 5, slow: 1 } }, null)],
    since: 0,
    want: { '/a': { requests: 6, errors: 0, total: 6 } },
  },
  {
    name: 'restart seen by process start time even when counters already passed the old values',
    history: [snap(0, { '/a': { fast: 2, slow: 0 } }, 1), snap(1000, { '/a': { fast: 7, slow: 0 } }, 2)],
    since: 0,
    want: { '/a': { requests: 7, errors: 0, total: 7 } },
  },
  {
    name: 'a route first seen mid-window counts from zero',
    history: [snap(0, { '/a': { fast: 2, slow: 0 } }), snap(1000, { '/a': { fast: 2, slow: 0 }, '/b': { fast: 0, slow: 3 } })],
    since: 0,
    want: { '/a': { requests: 0, errors: 0, total: 0 }, '/b': { requests: 3, errors: 0, total: 3 } },
  },
];

for (const c of cases) {
  test(`increaseSince: ${c.name}`, () => {
    const got = increaseSince(c.history, c.since);
    if (c.want === null) return assert.equal(got, null);
    assert.ok(got);
    const flat = Object.fromEntries(Object.entries(got.routes).map(([r, x]) => [r, { requests: x.requests, errors: x.errors, total: x.latency.at(-1)?.count ?? 0 }]));
    assert.deepEqual(flat, c.want);
  });
}

const b = (pairs: Array<[number, number]>): Bucket[] => pairs.map(([le, count]) => ({ le, count }));
const quantiles: Array<[string, number, Bucket[], number | null]> = [
  ['no observations', 0.95, b([[0.1, 0], [Infinity, 0]]), null],
  ['empty buckets', 0.95, [], null],
  ['all in the first bucket interpolates from 0', 0.5, b([[0.1, 10], [1, 10], [Infinity, 10]]), 0.05],
  ['interpolates within the bucket holding the rank', 0.95, b([[0.1, 90], [1, 100], [Infinity, 100]]), 0.1 + 0.9 * 0.5],
  ['one slow among a hundred leaves p95 low', 0.95, b([[0.005, 99], [1, 100], [Infinity, 100]]), 0.005 * 0.95 / 0.99],
  ['rank in +Inf gives the highest finite bound', 0.95, b([[0.1, 1], [1, 2], [Infinity, 10]]), 1],
];
for (const [name, q, buckets, want] of quantiles) {
  test(`quantile: ${name}`, () => {
    const got = quantile(q, buckets);
    if (want === null) return assert.equal(got, null);
    assert.ok(got !== null && Math.abs(got - want) < 1e-9, `got ${got}, want ${want}`);
  });
}

test('prune keeps one snapshot at or before the cutoff and everything after', () => {
  const h = [0, 1000, 2000, 3000, 4000].map((at) => snap(at, {}));
  assert.deepEqual(prune(h, 2500).map((s) => s.at), [1000, 2000, 3000, 4000]);
  assert.deepEqual(prune(h, 10_000).map((s) => s.at), [0, 1000, 2000, 3000, 4000]);
});

test('toSnapshot sums statuses and methods per route, counts 5xx, reads start time, drops ignored routes', () => {
  const text = [
    'process_start_time_seconds 1700000000',
    'http_requests_total{route="/api/videos",method="GET",status="200"} 8',
    'http_requests_total{route="/api/videos",method="GET",status="500"} 2',
    'http_requests_total{route="/api/videos",method="HEAD",status="503"} 1',
    'http_requests_total{route="/metrics",method="GET",status="200"} 50',
    'http_request_duration_seconds_bucket{le="0.1",route="/api/videos"} 10',
    'http_request_duration_seconds_bucket{le="+Inf",route="/api/videos"} 11',
    'http_request_duration_seconds_bucket{le="0.1",route="/metrics"} 50',
    'http_request_duration_seconds_bucket{le="+Inf",route="/metrics"} 50',
  ].join('\n');
  const s = toSnapshot(42, parsePrometheusText(text), new Set(['/metrics']));
  assert.equal(s.startedAt, 1700000000);
  assert.deepEqual(s.routes, { '/api/videos': { requests: 11, errors: 3, latency: b([[0.1, 10], [Infinity, 11]]) } });
});
