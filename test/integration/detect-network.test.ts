// Detection of the network classes on real things: a local HTTP upstream that is stopped and restarted,
// a local DNS server that is stopped or answers SERVFAIL, and a real HAProxy balancing the demo target's
// two instances whose weights are skewed through the runtime API. Each detector runs through the real
// runner (damping, hold-down, resolve); single blips must raise nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { serviceSchema, type ServiceConfig } from '../../config/schema';
import { createLogger } from '../../observability/logger';
import { classOfAlert } from '../../policy/alert-classes';
import type { DetectorFactory } from '../../sentinel/detector';
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

/** Bounded loopback traffic: `concurrency` clients in a loop until stopped, each a fresh connection. */
function generateTraffic(url: string, concurrency = 4) {
  let running = true;
  let sent = 0;
  const clients = Array.from({ length: concurrency }, async () => {
    while (running) {
      await fetch(url, { signal: AbortSignal.timeout(2000), headers: { connection: 'close' } }).then((r) => r.arrayBuffer(), () => undefined);
      sent++;
      await sleep(10);
    }
  });
  return {
    get sent() {
      return sent;
    },
    async stop() {
      running = false;
      await Promise.all(clients);
    },
  };
}

describe('network detection on real upstream, resolver and HAProxy', () => {
  let sys: TestSystem;
  const runners: Array<{ stop(): Promise<void> }> = [];

  before(async () => {
    sys = await startTestSystem();
  });
  after(async () => {
    for (const r of runners) await r.stop();
    await sys?.stop();
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
