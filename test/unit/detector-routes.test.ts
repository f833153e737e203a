// The route-timeout rule, table-driven, then the detector end to end against a scripted /metrics server.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serviceSchema } from '../../config/schema';
import { sentinelSchema } from '../../config/schema';
import { createLogger } from '../../observability/logger';
import type { Pm2Client } from '../../pm2/client';
import { judgeRoute, routesDetector } from '../../sentinel/detectors/routes';
import type { Bucket } from '../../sentinel/detectors/route-snapshot';

const LES = [0.005, 0.1, 0.25, 0.5, 1, Infinity];
/** Window counters for `fast` requests under 5 ms and `slow` ones between 0.5 and 1 s. */
function counters(fast: number, slow: number) {
  const cumulative = [fast, fast, fast, fast, fast + slow, fast + slow];
  return { requests: fast + slow, errors: 0, latency: LES.map((le, i): Bucket => ({ le, count: cumulative[i]! })) };
}
const cfg = { p95Ms: 300, minRequests: 5 };

const cases: Array<[string, ReturnType<typeof counters>, boolean]> = [
  ['all slow, enough requests', counters(0, 20), true],
  ['mostly slow', counters(10, 10), true],
  ['one slow request among many is not a timeout', counters(99, 1), false],
  ['6% slow tips the p95', counters(94, 6), true],
  ['slow but fewer than minRequests', counters(0, 4), false],
  ['exactly minRequests, all slow', counters(0, 5), true],
  ['no requests', counters(0, 0), false],
  ['fast traffic', counters(200, 0), false],
];
for (const [name, c, failing] of cases) {
  test(`judgeRoute: ${name}`, () => assert.equal(judgeRoute(c, cfg).failing, failing));
}

test('judgeRoute: the threshold is strict (p95 equal to p95Ms is fine)', () => {
  // All 100 requests in (0.25, 0.5]: p95 = 0.25 + 0.25 * 0.95 = 0.4875 s.
  const c = { requests: 100, errors: 0, latency: [{ le: 0.25, count: 0 }, { le: 0.5, count: 100 }, { le: Infinity, count: 100 }] };
  assert.equal(judgeRoute(c, { p95Ms: 488, minRequests: 1 }).failing, false);
  assert.equal(judgeRoute(c, { p95Ms: 487, minRequests: 1 }).failing, true);
});

// A one-instance "service" whose /metrics answers whatever the test sets.
let metricsText = '';
const server = http.createServer((req, res) => {
  if (req.url === '/metrics') return void res.end(metricsText);
  res.statusCode = 404;
  res.end();
});
after(() => new Promise<void>((r) => server.close(() => r())));
const pm2 = { listApp: async () => [{ instance: 0, status: 'online', pmId: 0 }] } as unknown as Pm2Client;

function exposition(route: string, fast: number, slow: number, startTime = 1): string {
  const cumulative = [fast, fast, fast, fast, fast + slow, fast + slow];
  return [
    `process_start_time_seconds ${startTime}`,
    `http_requests_total{route="${route}",method="GET",status="200"} ${fast + slow}`,
    ...LES.map((le, i) => `http_request_duration_seconds_bucket{le="${le === Infinity ? '+Inf' : le}",route="${route}"} ${cumulative[i]}`),
    'http_requests_total{route="/metrics",method="GET",status="200"} 1000',
  ].join('\n');
}

test('routesDetector: off without a routes section; reports slow route per instance with its label', async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const ctx = { pm2, sentinel: sentinelSchema.parse({}), logger: createLogger('test') };
  assert.equal(routesDetector({ ...ctx, service: serviceSchema.parse({ name: 'svc', basePort: port }) }), null);

  const service = serviceSchema.parse({ name: 'svc', basePort: port, detectors: { routes: { p95Ms: 300, windowMs: 5000, minRequests: 5, intervalMs: 500 } } });
  const detector = routesDetector({ ...ctx, service })!;
  assert.equal(detector.intervalMs, 500);
  assert.deepEqual(detector.damping, { samples: 3, failures: 3, holdDownMs: 30_000 });

  metricsText = exposition('/api/videos', 100, 0);
  assert.deepEqual(await detector.observe(), [], 'one snapshot is no window yet');
  metricsText = exposition('/api/videos', 200, 1);
  const calm = await detector.observe();
  assert.deepEqual(calm.map((o) => [o.subject, o.failing]), [['route:0:/api/videos', false]], 'one slow among 101; /metrics is not user traffic');

  metricsText = exposition('/api/videos', 200, 30);
  const [slow] = await detector.observe();
  assert.equal(slow?.failing, true);
  assert.equal(slow?.alertName, 'RouteTimeout');
  assert.equal(slow?.instance, 0);
  assert.deepEqual(slow?.labels, { route: '/api/videos' });
  assert.match(slow?.summary ?? '', /p95 latency \d+ ms .* exceeds 300 ms/);

  // A restart: counters begin again, and only what the new process answered counts.
  metricsText = exposition('/api/videos', 3, 0, 2);
  const [afterRestart] = await detector.observe();
  assert.equal(afterRestart?.failing, true, 'the 30 slow requests are still inside the window');
});
