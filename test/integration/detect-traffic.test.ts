// Route timeouts and bad deploys seen from the real demo target under real PM2: bounded loopback traffic
// to its /api/videos routes, faults switched on over its fault switch, the detectors run as the sentinel
// runs them (runDetector, damping included) into a recording sink. The false-positive corpus — one slow
// request, a deploy whose errors stop within warm-up, errors with no recent deploy — must raise nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { serviceSchema, type ServiceConfig } from '../../config/schema';
import { clearFaults, injectFault } from '../../demo/faults';
import { DeployRegistry } from '../../deploys/registry';
import { createLogger } from '../../observability/logger';
import type { DetectorFactory } from '../../sentinel/detector';
import { deployDetector } from '../../sentinel/detectors/deploy';
import { routesDetector } from '../../sentinel/detectors/routes';
import { runDetector } from '../../sentinel/run-detector';
import type { AlertInput } from '../../signals/alert';
import { eventually, startTestSystem, type TestSystem } from '../helpers/system';

const ROUTES = { windowMs: 5000, p95Ms: 300, minRequests: 5, intervalMs: 500 };
const DEPLOY = { windowMs: 60_000, warmupMs: 1000, errorRatio: 0.1, minRequests: 10, intervalMs: 500 };
const logger = createLogger('detect-traffic');

let sys: TestSystem;
let tmp = '';
let traffic: Traffic;

before(async () => {
  sys = await startTestSystem({ instances: 2 });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'zt-detect-traffic-'));
  traffic = new Traffic((i) => sys.instanceUrl(i), 2);
});

after(async () => {
  await traffic?.stop();
  await sys?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/**
 * Steady user-like load on every instance: a request every 40 ms per instance, alternating the list and a
 * single video, never more than 20 in flight per instance so a slow fault cannot pile up unbounded work.
 */
class Traffic {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inflight: Array<Set<Promise<void>>>;
  private paused = new Set<number>();
  constructor(url: (i: number) => string, instances: number) {
    this.inflight = Array.from({ length: instances }, () => new Set());
    for (let i = 0; i < instances; i++) {
      let n = 0;
      this.timers.push(
        setInterval(() => {
          if (this.paused.has(i) || this.inflight[i]!.size >= 20) return;
          const route = n++ % 2 ? '/api/videos' : '/api/videos/v-1001';
          void this.send(i, `${url(i)}${route}`);
        }, 40),
      );
    }
  }
  send(i: number, href: string): Promise<void> {
    const p: Promise<void> = fetch(href, { signal: AbortSignal.timeout(5000) })
      .then((r) => r.arrayBuffer())
      .then(() => undefined, () => undefined)
      .finally(() => this.inflight[i]!.delete(p));
    this.inflight[i]!.add(p);
    return p;
  }
  /** Runs `fn` with instance `i` receiving no background traffic, once its in-flight requests finished. */
  async quiet<T>(i: number, fn: () => Promise<T>): Promise<T> {
    this.paused.add(i);
    try {
      await Promise.all([...this.inflight[i]!]);
      return await fn();
    } finally {
      this.paused.delete(i);
    }
  }
  async stop(): Promise<void> {
    this.timers.forEach(clearInterval);
    await Promise.all(this.inflight.flatMap((s) => [...s]));
  }
}

function serviceWith(detectors: Record<string, unknown>): ServiceConfig {
  return serviceSchema.parse({ ...sys.config.services[0]!, detectors });
}

/** Runs one detector into a recording sink for the duration of `body`. */
async function watching<T>(factory: DetectorFactory, service: ServiceConfig, body: (alerts: AlertInput[]) => Promise<T>): Promise<T> {
  const detector = factory({ service, pm2: sys.pm2, sentinel: sys.config.sentinel, logger });
  assert.ok(detector, 'the detector is configured');
  const alerts: AlertInput[] = [];
  const running = runDetector({ service, detector, sink: async (a) => void alerts.push(...a), logger });
  try {
    return await body(alerts);
  } finally {
    await running.stop();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const firing = (alerts: AlertInput[], name: string) => alerts.filter((a) => a.name === name && a.status === 'firing');
const clearAll = () => Promise.all([0, 1].map((i) => clearFaults(sys.instanceUrl(i))));

test('false positive: one slow request among normal traffic raises no RouteTimeout', async () => {
  const service = serviceWith({ routes: ROUTES });
  await watching(routesDetector, service, async (alerts) => {
    await sleep(3000);
    await traffic.quiet(0, async () => {
      await injectFault(sys.instanceUrl(0), { fault: 'slow', ms: 1500 });
      const slow = traffic.send(0, `${sys.instanceUrl(0)}/api/videos`);
      await sleep(150);
      await clearFaults(sys.instanceUrl(0));
      await slow;
    });
    await sleep(ROUTES.windowMs + 2000);
    assert.deepEqual(firing(alerts, 'RouteTimeout'), []);
  });
});

test('slow fault on one instance: RouteTimeout for that instance and route', async () => {
  const service = serviceWith({ routes: ROUTES });
  await watching(routesDetector, service, async (alerts) => {
    await sleep(1500);
    const started = Date.now();
    await injectFault(sys.instanceUrl(1), { fault: 'slow', ms: 600 });
    try {
      const alert = await eventually('RouteTimeout on instance 1 /api/videos', async () =>
        firing(alerts, 'RouteTimeout').find((a) => a.instance === 1 && a.labels?.route === '/api/videos'),
      );
      console.log(`# detect route-timeout: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      assert.equal(alert.labels?.subject, 'route:1:/api/videos');
      assert.match(alert.summary ?? '', /exceeds 300 ms/);
      assert.deepEqual(firing(alerts, 'RouteTimeout').filter((a) => a.instance === 0), [], 'the healthy instance is not blamed');
    } finally {
      await clearAll();
    }
  });
});

test('errors after a recorded deploy: BadDeploy naming the release', async () => {
  const registryPath = path.join(tmp, 'bad.jsonl');
  const service = serviceWith({ deploy: { ...DEPLOY, registryPath } });
  await watching(deployDetector, service, async (alerts) => {
    await sleep(1000);
    const started = Date.now();
    const deploy = await new DeployRegistry(registryPath).recordDeploy({ service: service.name, version: 'r-bad', by: 'test' });
    await Promise.all([0, 1].map((i) => injectFault(sys.instanceUrl(i), { fault: 'errors', rate: 0.5 })));
    try {
      const alert = await eventually('BadDeploy for r-bad', async () => firing(alerts, 'BadDeploy')[0]);
      console.log(`# detect bad-deploy: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      assert.equal(alert.labels?.release, 'r-bad');
      assert.equal(alert.labels?.deployedAt, deploy.at);
      assert.equal(alert.labels?.subject, 'deploy:r-bad');
    } finally {
      await clearAll();
    }
  });
});

test('false positive: a deploy whose errors stop within warm-up is not bad', async () => {
  const registryPath = path.join(tmp, 'blip.jsonl');
  const service = serviceWith({ deploy: { ...DEPLOY, registryPath } });
  await watching(deployDetector, service, async (alerts) => {
    await new DeployRegistry(registryPath).recordDeploy({ service: service.name, version: 'r-blip', by: 'test' });
    await Promise.all([0, 1].map((i) => injectFault(sys.instanceUrl(i), { fault: 'errors', rate: 0.5 })));
    await sleep(DEPLOY.warmupMs / 2);
    await clearAll();
    await sleep(6000);
    assert.deepEqual(firing(alerts, 'BadDeploy'), []);
  });
});

test('false positive: errors with no recent deploy are not a bad deploy', async () => {
  const registryPath = path.join(tmp, 'old.jsonl');
  const service = serviceWith({ deploy: { ...DEPLOY, registryPath } });
  await new DeployRegistry(registryPath).recordDeploy({ service: service.name, version: 'r-old', by: 'test', at: new Date(Date.now() - 10 * 60_000) });
  await watching(deployDetector, service, async (alerts) => {
    await Promise.all([0, 1].map((i) => injectFault(sys.instanceUrl(i), { fault: 'errors', rate: 0.5 })));
    try {
      await sleep(5000);
      assert.deepEqual(firing(alerts, 'BadDeploy'), []);
    } finally {
      await clearAll();
    }
  });
});
