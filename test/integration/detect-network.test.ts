// Detection of the network classes on real things: a local HTTP upstream that is stopped and restarted,
// the demo target under PM2 calling its translator upstream (stopped, so the target's own error lines on
// PM2's bus name it), a local DNS server that is stopped or answers SERVFAIL, and a real HAProxy balancing
// the demo target's two instances whose weights are skewed through the runtime API. Each detector runs
// through the real runner (damping, hold-down, resolve); single blips must raise nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { serviceSchema, type ServiceConfig } from '../../config/schema';
import { createLogger } from '../../observability/logger';
import { classOfAlert } from '../../policy/alert-classes';
import type { Detector, DetectorFactory, Observation } from '../../sentinel/detector';
import { dnsDetector } from '../../sentinel/detectors/dns';
import { loadBalancerDetector } from '../../sentinel/detectors/load-balancer';
import { upstreamDetector } from '../../sentinel/detectors/upstream';
import { runDetector } from '../../sentinel/run-detector';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server';
import { startHaproxy, type TestHaproxy } from '../helpers/haproxy';
import { RecordingSink } from '../helpers/recording-sink';
import { eventually, freePortRange, startTestSystem, type TestSystem } from '../helpers/system';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logger = createLogger('test');

/** A small upstream that can be stopped and started on the same port, and told to fail its next answers. */
async function startUpstream(port: number) {
  let failNext = 0;
  let server: http.Server | null = null;
  const start = () =>
    new Promise<void>((resolve) => {
      server = http.createServer((_req, res) => {
        res.statusCode = failNext > 0 ? (failNext--, 503) : 200;
        res.end();
      });
      server.listen(port, '127.0.0.1', resolve);
    });
  await start();
  return {
    url: `http://127.0.0.1:${port}/healthz`,
    origin: `http://127.0.0.1:${port}`,
    failNext: (n: number) => void (failNext = n),
    start,
    stop: () =>
      new Promise<void>((resolve) => {
        const s = server;
        server = null;
        if (!s) return resolve();
        s.closeAllConnections();
        s.close(() => resolve());
      }),
  };
}

/** Bounded loopback traffic: `concurrency` clients in a loop over `urls` until stopped, each a fresh connection. */
function generateTraffic(urls: string | string[], opts: { concurrency?: number; method?: string; body?: string } = {}) {
  const targets = [urls].flat();
  let running = true;
  let sent = 0;
  /** Answers by HTTP status; 0 for no answer. */
  const statuses = new Map<number, number>();
  const clients = Array.from({ length: opts.concurrency ?? 4 }, async (_, client) => {
    for (let i = client; running; i++) {
      const status = await fetch(targets[i % targets.length]!, {
        method: opts.method ?? 'GET',
        ...(opts.body ? { body: opts.body, headers: { connection: 'close', 'content-type': 'application/json' } } : { headers: { connection: 'close' } }),
        signal: AbortSignal.timeout(2000),
      }).then(
        async (r) => (await r.arrayBuffer(), r.status),
        () => 0,
      );
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      sent++;
      await sleep(10);
    }
  });
  return {
    get sent() {
      return sent;
    },
    statuses,
    async stop() {
      running = false;
      await Promise.all(clients);
    },
  };
}

/** The detector as built, with every observation it makes kept for the test to read. */
function watched(factory: DetectorFactory): { factory: DetectorFactory; looks: Observation[] } {
  const looks: Observation[] = [];
  return {
    looks,
    factory: (ctx) => {
      const detector = factory(ctx);
      if (!detector) return null;
      const w: Detector = {
        name: detector.name,
        intervalMs: detector.intervalMs,
        damping: detector.damping,
        observe: async () => {
          const round = await detector.observe();
          looks.push(...round);
          return round;
        },
        stop: () => detector.stop?.(),
      };
      return w;
    },
  };
}

describe('network detection on real upstream, resolver and HAProxy', () => {
  let sys: TestSystem;
  /** The upstream the demo target hands its localize jobs to. */
  let translator: Awaited<ReturnType<typeof startUpstream>>;
  const runners: Array<{ stop(): Promise<void> }> = [];

  before(async () => {
    translator = await startUpstream(await freePortRange(1));
    sys = await startTestSystem({ demoEnv: { LOCALIZE_API_TRANSLATOR_URL: `${translator.origin}/translate` } });
  });
  after(async () => {
    for (const r of runners) await r.stop();
    await sys?.stop();
    await translator?.stop();
  });

  function serviceWith(detectors: Record<string, unknown>): ServiceConfig {
    return serviceSchema.parse({ ...sys.config.services[0], detectors });
  }

  function run(factory: DetectorFactory, service: ServiceConfig): RecordingSink & { stop(): Promise<void> } {
    const detector = factory({ service, pm2: sys.pm2, sentinel: sys.config.sentinel, logger });
    assert.ok(detector, 'the detector runs for this config');
    const recorder = new RecordingSink();
    const runner = runDetector({ service, detector, sink: recorder.sink, logger });
    runners.push(runner);
    // Stopping twice (here and in after()) is harmless: the runner's loop has already ended.
    return Object.assign(recorder, { stop: () => runner.stop() });
  }

  function resolved(recorder: RecordingSink, name: string, since: number) {
    return eventually(`${name} resolved`, async () => recorder.alerts.find((r) => r.at >= since && r.alert.name === name && r.alert.status === 'resolved'), 20_000);
  }

  function firingSince(recorder: RecordingSink, since: number): string[] {
    return recorder.alerts.filter((r) => r.at >= since && r.alert.status === 'firing').map((r) => `${r.alert.name}: ${r.alert.summary}`);
  }

  test('upstream stopped → UpstreamFailure; restarted → resolved; one failed probe → nothing', async () => {
    const upstream = await startUpstream(await freePortRange(1));
    const recorder = run(upstreamDetector, serviceWith({ upstreams: [{ name: 'payments', url: upstream.url, intervalMs: 200, timeoutMs: 300 }] }));
    await sleep(1000);

    upstream.failNext(1);
    await sleep(2000);
    assert.deepEqual(firingSince(recorder, 0), [], 'one 503 is a blip');

    const since = Date.now();
    await upstream.stop();
    const seen = await recorder.waitFor('UpstreamFailure', since);
    console.log(`# detect upstream-failure (UpstreamFailure): ${((seen.at - since) / 1000).toFixed(2)} s`);
    assert.equal(classOfAlert(seen.alert.name), 'upstream-failure');
    assert.equal(seen.alert.labels?.upstream, 'payments');
    assert.match(seen.alert.summary ?? '', /payments .* refuses connections/);

    const back = Date.now();
    await upstream.start();
    await resolved(recorder, 'UpstreamFailure', back);
    await upstream.stop();
  });

  test('translator stopped → the demo target logs errors naming it → UpstreamFailure from errors alone; one failed request → nothing', async () => {
    // No url: nothing probes the translator, so only the target's own error lines (PM2 bus) can tell.
    const { factory, looks } = watched(upstreamDetector);
    const recorder = run(factory, serviceWith({ upstreams: [{ name: 'translator', intervalMs: 200, errorWindowMs: 3000 }] }));
    const api = [0, 1].map((i) => `${sys.instanceUrl(i)}/api/localize`);
    const job = { method: 'POST', body: JSON.stringify({ videoId: 'v-1001', targetLanguage: 'ja' }) };
    const lastLook = () => looks.filter((o) => o.subject === 'upstream:translator').at(-1);

    const healthy = generateTraffic(api, { concurrency: 2, ...job });
    await sleep(1000);
    await healthy.stop();
    assert.deepEqual([...healthy.statuses.keys()], [200], 'both instances localize through the translator');
    assert.ok(healthy.sent > 20, `traffic flowed (${healthy.sent} requests)`);

    await translator.stop();
    const one = await fetch(api[0]!, { ...job, signal: AbortSignal.timeout(3000) });
    assert.equal(one.status, 502);
    assert.match(((await one.json()) as { error: string }).error, /^upstream translator failed: connect ECONNREFUSED/);
    await translator.start();
    await eventually('the one error line reached the detector', async () => (lastLook()?.labels?.errorLines === '1' ? true : undefined), 5_000);
    await sleep(1500);
    assert.deepEqual(firingSince(recorder, 0), [], 'one failed request is a blip');
    // Let the 3 s error window forget it, so what follows is measured from a clean slate.
    await eventually('the error window emptied', async () => (lastLook()?.labels?.errorLines === '0' ? true : undefined), 5_000);

    const since = Date.now();
    await translator.stop();
    const failing = generateTraffic(api, { concurrency: 2, ...job });
    try {
      const seen = await recorder.waitFor('UpstreamFailure', since);
      console.log(`# detect upstream-failure from errors: ${((seen.at - since) / 1000).toFixed(2)} s`);
      assert.equal(classOfAlert(seen.alert.name), 'upstream-failure');
      assert.equal(seen.alert.labels?.upstream, 'translator');
      assert.equal(seen.alert.labels?.evidence, 'errors');
      assert.equal(seen.alert.labels?.url, undefined, 'no url: nothing was probed');
      assert.equal(seen.alert.labels?.outcome, undefined);
      assert.ok(Number(seen.alert.labels?.errorLines) >= 5, `errorLines=${seen.alert.labels?.errorLines}`);
      assert.match(
        seen.alert.summary ?? '',
        new RegExp(
          `^${sys.service} logged \\d+ error lines naming its upstream translator in the last 3 s; latest: "upstream translator \\(${translator.origin}/translate\\) failed: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+"$`,
        ),
      );
    } finally {
      await failing.stop();
    }
    assert.ok((failing.statuses.get(502) ?? 0) >= 5, `the target answered 502 (${JSON.stringify([...failing.statuses])})`);

    const back = Date.now();
    await translator.start();
    await resolved(recorder, 'UpstreamFailure', back);
    await recorder.stop();
  });

  for (const fault of ['stopped', 'servfail'] as const) {
    test(`resolver ${fault} → DnsResolutionFailure; recovered → resolved`, async () => {
      const dns = await startDnsServer({ 'payments.internal': ['127.0.0.1'] });
      const recorder = run(dnsDetector, serviceWith({ dns: { names: ['payments.internal'], servers: [dns.address], intervalMs: 200, timeoutMs: 300 } }));
      await sleep(1000);

      const since = Date.now();
      if (fault === 'stopped') await dns.stop();
      else dns.mode = 'servfail';
      const seen = await recorder.waitFor('DnsResolutionFailure', since);
      console.log(`# detect dns-failure (DnsResolutionFailure, resolver ${fault}): ${((seen.at - since) / 1000).toFixed(2)} s`);
      assert.equal(classOfAlert(seen.alert.name), 'dns-failure');
      assert.match(seen.alert.summary ?? '', fault === 'stopped' ? /was refused/ : /SERVFAIL/);

      const back = Date.now();
      if (fault === 'stopped') await dns.start();
      else dns.mode = 'answer';
      await resolved(recorder, 'DnsResolutionFailure', back);
      await dns.stop();
    });
  }

  test('one slow DNS answer (past the timeout) and one slow-but-in-time answer → nothing', async () => {
    const dns: TestDnsServer = await startDnsServer({ 'payments.internal': ['127.0.0.1'] });
    const recorder = run(dnsDetector, serviceWith({ dns: { names: ['payments.internal'], servers: [dns.address], intervalMs: 200, timeoutMs: 300 } }));
    await sleep(600);
    dns.delayNext(500);
    await sleep(1500);
    dns.delayNext(200);
    await sleep(1500);
    assert.deepEqual(firingSince(recorder, 0), []);
    assert.ok(dns.queries >= 10, `the detector kept asking (${dns.queries} queries)`);
    await dns.stop();
  });

  describe('HAProxy balancing the two demo instances', () => {
    let haproxy: TestHaproxy;
    before(async () => {
      haproxy = await startHaproxy({
        servers: [
          { name: 'app0', port: sys.basePort },
          { name: 'app1', port: sys.basePort + 1 },
        ],
      });
      await eventually('both servers UP in HAProxy', async () => {
        const rows = await haproxy.runtime.showStat();
        return rows.filter((r) => r.pxname === 'app' && r.type === 'server' && r.status === 'UP').length === 2 ? true : undefined;
      });
    });
    after(async () => haproxy?.stop());

    const lbConfig = () => ({ loadBalancer: { haproxySocket: haproxy.socketPath, backend: haproxy.backend, intervalMs: 300, minSessions: 10 } });

    test('balanced weights with traffic → nothing', async () => {
      const recorder = run(loadBalancerDetector, serviceWith(lbConfig()));
      const traffic = generateTraffic(`${haproxy.frontendUrl}/healthz`);
      await sleep(4000);
      await traffic.stop();
      await recorder.stop();
      assert.ok(traffic.sent > 50, `traffic flowed (${traffic.sent} requests)`);
      assert.deepEqual(firingSince(recorder, 0), []);
    });

    test('weights skewed 100:1 through the runtime API → LoadBalancerImbalance; restored → resolved', async () => {
      const recorder = run(loadBalancerDetector, serviceWith(lbConfig()));
      const traffic = generateTraffic(`${haproxy.frontendUrl}/healthz`);
      try {
        await sleep(1000);
        const since = Date.now();
        await haproxy.runtime.setWeight('app', 'app0', 100);
        await haproxy.runtime.setWeight('app', 'app1', 1);
        const seen = await recorder.waitFor('LoadBalancerImbalance', since);
        console.log(`# detect lb-imbalance (LoadBalancerImbalance): ${((seen.at - since) / 1000).toFixed(2)} s`);
        assert.equal(classOfAlert(seen.alert.name), 'lb-imbalance');
        assert.equal(seen.alert.labels?.server, 'app0');
        assert.equal(seen.alert.instance, 0);
        assert.match(seen.alert.summary ?? '', /app0 holds 99% of the backend's weight/);

        const back = Date.now();
        await haproxy.runtime.setWeight('app', 'app1', 100);
        await resolved(recorder, 'LoadBalancerImbalance', back);
      } finally {
        await traffic.stop();
        await recorder.stop();
      }
    });
  });
});
