// Upstream failure: which probe results count as failing (refused, timeout, broken, 5xx — not 4xx), the
// combined damping, and one observe round against real local HTTP servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { serviceSchema } from '../../config/schema';
import type { ProbeResult } from '../../probes/http-health';
import { combinedDamping, describeUpstream, upstreamDetector, upstreamFailing } from '../../sentinel/detectors/upstream';
import { freePortRange } from '../helpers/system';

const r = (outcome: ProbeResult['outcome'], httpStatus: number | null = null, error?: string): ProbeResult => ({ outcome, httpStatus, latencyMs: 5, ...(error ? { error } : {}) });
const u = { name: 'payments', url: 'http://127.0.0.1:9/healthz', timeoutMs: 700, intervalMs: 1000 };

for (const [result, failing, summary] of [
  [r('ok', 200), false, /payments answers again \(HTTP 200, 5 ms\)/],
  [r('unhealthy', 404), false, /answers again \(HTTP 404/],
  [r('unhealthy', 429), false, /answers again/],
  [r('unhealthy', 500), true, /answers HTTP 500/],
  [r('unhealthy', 503), true, /answers HTTP 503/],
  [r('refused', null, 'ECONNREFUSED'), true, /refuses connections \(nothing listening\)/],
  [r('timeout'), true, /did not answer within 700 ms/],
  [r('error', null, 'ECONNRESET'), true, /fails to connect \(ECONNRESET\)/],
] as const) {
  test(`upstream probe ${result.outcome}${result.httpStatus ? ` ${result.httpStatus}` : ''} → failing=${failing}`, () => {
    assert.equal(upstreamFailing(result), failing);
    assert.match(describeUpstream('api', u, result), summary);
  });
}

test('combined damping is the most patient of the upstreams (default for those that set none)', () => {
  assert.deepEqual(combinedDamping([{ ...u }]), { samples: 3, failures: 3, holdDownMs: 30_000 });
  assert.deepEqual(
    combinedDamping([
      { ...u, damping: { samples: 5, failures: 2, holdDownMs: 1000 } },
      { ...u, damping: { samples: 2, failures: 2, holdDownMs: 9000 } },
    ]),
    { samples: 5, failures: 2, holdDownMs: 9000 },
  );
});

const ctx = { pm2: null as never, sentinel: null as never, logger: null as never };

test('no upstreams configured: no detector', () => {
  assert.equal(upstreamDetector({ ...ctx, service: serviceSchema.parse({ name: 'api', basePort: 3100 }) }), null);
  assert.equal(upstreamDetector({ ...ctx, service: serviceSchema.parse({ name: 'api', basePort: 3100, detectors: { upstreams: [] } }) }), null);
});

test('one round: a healthy, a 503 and a refused upstream; a slow-interval upstream is probed only when due', async (t) => {
  const server = http.createServer((req, res) => {
    res.statusCode = req.url === '/bad' ? 503 : 200;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const closed = await freePortRange(1);
  const service = serviceSchema.parse({
    name: 'api',
    basePort: 3100,
    detectors: {
      upstreams: [
        { name: 'ok', url: `http://127.0.0.1:${port}/ok`, intervalMs: 200 },
        { name: 'bad', url: `http://127.0.0.1:${port}/bad`, intervalMs: 200 },
        { name: 'gone', url: `http://127.0.0.1:${closed}/`, intervalMs: 200 },
        { name: 'slow-interval', url: `http://127.0.0.1:${port}/ok`, intervalMs: 60_000 },
      ],
    },
  });
  const d = upstreamDetector({ ...ctx, service })!;
  assert.equal(d.intervalMs, 200);
  const first = await d.observe();
  assert.deepEqual(
    first.map((o) => [o.subject, o.failing, o.alertName, o.labels?.outcome]),
    [
      ['upstream:ok', false, 'UpstreamFailure', 'ok'],
      ['upstream:bad', true, 'UpstreamFailure', 'unhealthy'],
      ['upstream:gone', true, 'UpstreamFailure', 'refused'],
      ['upstream:slow-interval', false, 'UpstreamFailure', 'ok'],
    ],
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual((await d.observe()).map((o) => o.subject), ['upstream:ok', 'upstream:bad', 'upstream:gone']);
});
