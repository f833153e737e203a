// Network drills on real things: the translator upstream the demo target calls (a local HTTP server that
// is stopped for 5 s while users call /api/localize: the target's own error lines on PM2's bus name it), a
// local DNS server the service resolves through (SERVFAIL for 5 s), and a real HAProxy balancing the two
// instances whose weights are skewed through its runtime API. Upstream and DNS failures are outside our
// processes: by design nothing is done (verify-only) and the incident closes once the service itself is
// verified healthy. The detectors are tuned as in test/integration/detect-network.test.ts.
import { Resolver } from 'node:dns/promises';
import http from 'node:http';
import { startDnsServer, type TestDnsServer } from '../test/helpers/dns-server';
import { startHaproxy, type TestHaproxy } from '../test/helpers/haproxy';
import { eventually, freePortRange, startTestSystem } from '../test/helpers/system';
import { Pm2Alone } from './baseline';
import { DRILL_GOVERNOR } from './governor';
import { incidentDrill, onExit, quiet, restartAll, runBaselines, runEach, sleep, Traffic, using } from './harness';
import type { FamilyContext } from './types';

const OUTAGE_MS = 5_000;
const DNS_NAME = 'payments.internal';

/** A small upstream that can be stopped and started again on the same port. */
async function startUpstream(port: number) {
  let server: http.Server | null = null;
  const start = () =>
    new Promise<void>((resolve) => {
      if (server) return resolve();
      server = http.createServer((_req, res) => {
        res.statusCode = 200;
        res.end('{}');
      });
      server.listen(port, '127.0.0.1', resolve);
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = null;
      if (!s) return resolve();
      s.closeAllConnections();
      s.close(() => resolve());
    });
  await start();
  return { origin: `http://127.0.0.1:${port}`, start, stop };
}

const job = { method: 'POST', body: JSON.stringify({ videoId: 'v-1001', targetLanguage: 'ja' }) };

async function localizes(url: string): Promise<boolean> {
  return fetch(`${url}/api/localize`, { ...job, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(1000) }).then(
    async (r) => (await r.arrayBuffer(), r.ok),
    () => false,
  );
}

async function resolves(dns: TestDnsServer): Promise<boolean> {
  const r = new Resolver({ timeout: 300, tries: 1 });
  r.setServers([dns.address]);
  return r.resolve4(DNS_NAME).then((a) => a.length > 0, () => false);
}

async function balanced(haproxy: TestHaproxy): Promise<boolean> {
  const servers = (await haproxy.runtime.showStat()).filter((r) => r.pxname === haproxy.backend && r.type === 'server');
  const weights = servers.map((s) => s.uweight ?? s.weight ?? 0);
  return weights.length === 2 && weights[0] === weights[1];
}

async function skew(haproxy: TestHaproxy): Promise<number> {
  const at = Date.now();
  await haproxy.runtime.setWeight(haproxy.backend, 'app0', 100);
  await haproxy.runtime.setWeight(haproxy.backend, 'app1', 1);
  return at;
}

function bothUp(haproxy: TestHaproxy): Promise<true> {
  return eventually('both servers UP in HAProxy', async () => {
    const rows = await haproxy.runtime.showStat();
    return rows.filter((r) => r.pxname === haproxy.backend && r.type === 'server' && r.status === 'UP').length === 2 ? true : undefined;
  });
}

/** HAProxy in front of the two instances on basePort, basePort + 1 (which may not be listening yet). */
function haproxyFor(basePort: number): Promise<TestHaproxy> {
  return startHaproxy({ servers: [0, 1].map((i) => ({ name: `app${i}`, port: basePort + i })) });
}

export async function network(ctx: FamilyContext): Promise<void> {
  const translator = await startUpstream(await freePortRange(1));
  const offTranslator = onExit(() => translator.stop());
  const dns = await startDnsServer({ [DNS_NAME]: ['127.0.0.1'] });
  const offDns = onExit(() => dns.stop());
  const demoEnv = { LOCALIZE_API_TRANSLATOR_URL: `${translator.origin}/translate` };
  /** An outage that ends by itself after OUTAGE_MS; resolves when it is over. */
  let outage: Promise<void> = Promise.resolve();
  try {
    const basePort = await freePortRange(2);
    await using(
      () => haproxyFor(basePort),
      (haproxy) =>
        using(
          () =>
            startTestSystem({
              basePort,
              demoEnv,
              detectors: {
                upstreams: [{ name: 'translator', intervalMs: 200, errorWindowMs: 3_000 }],
                dns: { names: [DNS_NAME], servers: [dns.address], intervalMs: 200, timeoutMs: 300 },
                loadBalancer: { haproxySocket: haproxy.socketPath, backend: haproxy.backend, intervalMs: 300, minSessions: 10 },
              },
              actions: { traffic: { haproxySocket: haproxy.socketPath, backend: haproxy.backend, servers: { '0': 'app0', '1': 'app1' } } },
              config: { governor: DRILL_GOVERNOR },
            }),
          async (sys) => {
            await bothUp(haproxy);
            await sys.startSentinel();
            const load = new Traffic(
              [
                ...[0, 1].map((i) => ({ url: `${sys.instanceUrl(i)}/api/localize`, ...job })),
                { url: `${haproxy.frontendUrl}/api/videos` },
                { url: `${haproxy.frontendUrl}/api/videos/v-1001` },
              ],
              50,
            );
            try {
              await runEach(
                ctx,
                {
                  'upstream-failure': async (spec, run) => {
                    const r = await incidentDrill({
                      sys,
                      spec,
                      run,
                      group: 'network',
                      inject: async () => {
                        await translator.stop();
                        const at = Date.now();
                        outage = sleep(OUTAGE_MS).then(() => translator.start());
                        return at;
                      },
                    });
                    await outage;
                    r.extra = { ...r.extra, outageSeconds: OUTAGE_MS / 1000 };
                    return r;
                  },
                  'dns-failure': async (spec, run) => {
                    const r = await incidentDrill({
                      sys,
                      spec,
                      run,
                      group: 'network',
                      inject: async () => {
                        dns.mode = 'servfail';
                        const at = Date.now();
                        outage = sleep(OUTAGE_MS).then(() => void (dns.mode = 'answer'));
                        return at;
                      },
                    });
                    await outage;
                    r.extra = { ...r.extra, outageSeconds: OUTAGE_MS / 1000 };
                    return r;
                  },
                  'lb-imbalance': async (spec, run) => {
                    const r = await incidentDrill({ sys, spec, run, group: 'network', inject: () => skew(haproxy) });
                    const even = await balanced(haproxy);
                    r.extra = { ...r.extra, conditionCleared: even };
                    if (!even) {
                      r.passed = false;
                      r.why += '; the weights are still skewed';
                    }
                    return r;
                  },
                },
                async () => {
                  await outage;
                  // Past the upstream detector's 3 s error window after the outage, so its alert has resolved
                  // and the next run can raise a new one (held down for 30 s otherwise).
                  await quiet(sys, 2, 5_000);
                },
                async () => {
                  await outage;
                  dns.mode = 'answer';
                  for (const s of ['app0', 'app1']) await haproxy.runtime.setWeight(haproxy.backend, s, 100).catch(() => undefined);
                  await restartAll(sys);
                },
              );
            } finally {
              await load.stop();
            }
          },
        ),
    );
    await runBaselines(ctx, () => Pm2Alone.start({ demoEnv }), {
      'upstream-failure': (env) =>
        env.measure(
          async () => {
            await translator.stop();
            const at = Date.now();
            outage = sleep(OUTAGE_MS).then(() => translator.start());
            return at;
          },
          async () => (await env.healthy()) && (await localizes(env.instanceUrl(0))) && (await localizes(env.instanceUrl(1))),
          ctx.baselineLimitMs,
        ),
      'dns-failure': (env) =>
        env.measure(
          async () => {
            dns.mode = 'servfail';
            const at = Date.now();
            outage = sleep(OUTAGE_MS).then(() => void (dns.mode = 'answer'));
            return at;
          },
          async () => (await env.healthy()) && (await resolves(dns)),
          ctx.baselineLimitMs,
        ),
      'lb-imbalance': async (env) => {
        const haproxy = await haproxyFor(env.basePort);
        try {
          await bothUp(haproxy);
          return await env.measure(() => skew(haproxy), async () => (await env.healthy()) && (await balanced(haproxy)), ctx.baselineLimitMs);
        } finally {
          await haproxy.stop();
        }
      },
    });
    await outage;
  } finally {
    await outage.catch(() => undefined);
    offTranslator();
    offDns();
    await translator.stop();
    await dns.stop();
  }
}
