// The bad-deploy rule, table-driven over time and traffic, then the detector end to end: a temporary
// registry, a scripted /metrics server, and a superseded release that resolves.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sentinelSchema, serviceSchema } from '../../config/schema';
import { DeployRegistry } from '../../deploys/registry';
import { createLogger } from '../../observability/logger';
import type { Pm2Client } from '../../pm2/client';
import { deployDetector, judgeDeploy } from '../../sentinel/detectors/deploy';
import type { Snapshot } from '../../sentinel/detectors/route-snapshot';

const cfg = { windowMs: 60_000, warmupMs: 5_000, errorRatio: 0.05, minRequests: 10 };
const DEPLOYED = 1_000_000;
/** Cumulative counters of one instance at `at` seconds after the deploy. */
const s = (atS: number, requests: number, errors: number, startedAt: number | null = null): Snapshot => ({
  at: DEPLOYED + atS * 1000,
  startedAt,
  routes: { '/api/videos': { requests, errors, latency: [] } },
});

const cases: Array<{ name: string; now: number; histories: Snapshot[][]; want: { phase: string; failing: boolean } }> = [
  {
    name: 'errors well past warm-up are a bad deploy',
    now: 20,
    histories: [[s(6, 100, 0), s(20, 200, 30)]],
    want: { phase: 'judged', failing: true },
  },
  {
    name: 'errors only during warm-up are a blip',
    now: 20,
    histories: [[s(1, 10, 0), s(4, 40, 20), s(6, 60, 25), s(20, 200, 25)]],
    want: { phase: 'judged', failing: false },
  },
  {
    name: 'summed over instances: one sick instance of two still counts',
    now: 20,
    histories: [[s(6, 100, 0), s(20, 150, 0)], [s(6, 100, 0), s(20, 150, 10)]],
    want: { phase: 'judged', failing: true },
  },
  {
    name: 'below minRequests is not judged bad',
    now: 20,
    histories: [[s(6, 0, 0), s(20, 9, 9)]],
    want: { phase: 'judged', failing: false },
  },
  {
    name: 'ratio at the threshold is fine (strictly above fails)',
    now: 20,
    histories: [[s(6, 0, 0), s(20, 100, 5)]],
    want: { phase: 'judged', failing: false },
  },
  {
    name: 'still inside warm-up',
    now: 3,
    histories: [[s(1, 10, 10), s(3, 30, 30)]],
    want: { phase: 'warming-up', failing: false },
  },
  {
    name: 'errors long after the deploy window are not a bad deploy',
    now: 61,
    histories: [[s(50, 100, 0), s(61, 200, 100)]],
    want: { phase: 'outside-window', failing: false },
  },
  {
    name: 'a deploy in the future (clock skew) is not blamed',
    now: -5,
    histories: [[s(-10, 100, 0), s(-5, 200, 100)]],
    want: { phase: 'outside-window', failing: false },
  },
  {
    name: 'a restart after warm-up (counters reset) still counts the new errors',
    now: 20,
    histories: [[s(6, 100, 0, 1), s(10, 5, 5, 2), s(20, 20, 15, 2)]],
    want: { phase: 'judged', failing: true },
  },
];
for (const c of cases) {
  test(`judgeDeploy: ${c.name}`, () => {
    const v = judgeDeploy(DEPLOYED, DEPLOYED + c.now * 1000, c.histories, cfg);
    assert.deepEqual({ phase: v.phase, failing: v.failing }, c.want);
  });
}

let metricsText = '';
const server = http.createServer((_req, res) => res.end(metricsText));
let dir = '';
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  if (dir) await rm(dir, { recursive: true, force: true });
});
const pm2 = { listApp: async () => [{ instance: 0, status: 'online', pmId: 0 }] } as unknown as Pm2Client;
const exposition = (ok: number, failed: number) =>
  [
    `http_requests_total{route="/api/videos",method="GET",status="200"} ${ok}`,
    `http_requests_total{route="/api/videos",method="GET",status="500"} ${failed}`,
    'http_requests_total{route="/healthz",method="GET",status="503"} 500',
  ].join('\n');

test('deployDetector: off without a deploy section; names the release; a superseded release resolves', async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  dir = await mkdtemp(path.join(os.tmpdir(), 'zt-deploy-detector-'));
  const registryPath = path.join(dir, 'deploys.jsonl');
  const port = (server.address() as AddressInfo).port;
  const ctx = { pm2, sentinel: sentinelSchema.parse({}), logger: createLogger('test') };
  assert.equal(deployDetector({ ...ctx, service: serviceSchema.parse({ name: 'svc', basePort: port }) }), null);

  const service = serviceSchema.parse({
    name: 'svc',
    basePort: port,
    detectors: { deploy: { registryPath, windowMs: 60_000, warmupMs: 0, errorRatio: 0.1, minRequests: 10, damping: { samples: 2, failures: 2, holdDownMs: 0 } } },
  });
  const detector = deployDetector({ ...ctx, service })!;
  assert.deepEqual(detector.damping, { samples: 2, failures: 2, holdDownMs: 0 });

  metricsText = exposition(100, 0);
  assert.deepEqual(await detector.observe(), [], 'no deploy recorded: nothing to blame');

  const registry = new DeployRegistry(registryPath);
  const v2 = await registry.recordDeploy({ service: 'svc', version: 'v2', by: 'test' });
  await registry.recordDeploy({ service: 'other', version: 'x9', by: 'test' });
  assert.equal((await detector.observe())[0]?.failing, false, 'the first snapshot after the deploy is the baseline');
  metricsText = exposition(110, 20);
  const [bad] = await detector.observe();
  assert.equal(bad?.subject, 'deploy:v2');
  assert.equal(bad?.failing, true, 'the 503s of /healthz are not user traffic; 20 of 30 /api requests failed');
  assert.equal(bad?.alertName, 'BadDeploy');
  assert.deepEqual(bad?.labels, { release: 'v2', deployedAt: v2.at });
  assert.match(bad?.summary ?? '', /release v2 .* 20 of 30 requests since warm-up failed/);
  metricsText = 'http_requests_total{route="/api/videos"} not-a-number';
  assert.deepEqual(await detector.observe(), [], 'a round with no scrape answered gives no verdict, not a healthy one');
  metricsText = exposition(120, 25);
  assert.equal((await detector.observe())[0]?.failing, true, 'judged again once a scrape answers');

  await registry.recordDeploy({ service: 'svc', version: 'v1', by: 'rollback' });
  const rolledBack = await detector.observe();
  assert.deepEqual(rolledBack.map((o) => [o.subject, o.failing]), [['deploy:v1', false], ['deploy:v2', false]]);
  await detector.observe();
  assert.deepEqual((await detector.observe()).map((o) => o.subject), ['deploy:v1'], 'superseded releases are reported for one damping window, then dropped');
});
