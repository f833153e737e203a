// False-positive drills: benign blips on the real system with every detector of the sentinel on (tuned as
// in the detection tests, so each blip is judged against the same short windows) and steady traffic. A
// blip passes when it opens no incident, or only incidents that took no action.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { clearFaults, injectFault } from '../demo/faults';
import { DeployRegistry } from '../deploys/registry';
import { startDnsServer } from '../test/helpers/dns-server';
import { freePortRange, startTestSystem, type TestSystem } from '../test/helpers/system';
import { DRILL_GOVERNOR } from './governor';
import { collateral, onExit, opened, quiet, restartAll, runEach, runIdsOf, settle, sleep, Traffic, using } from './harness';
import { judgeRun } from './summary';
import type { DrillRun, DrillSpec, FamilyContext } from './types';

const DNS_NAME = 'payments.internal';
const OBSERVE_MS = 8_000;

async function startTranslator(port: number) {
  let server: http.Server | null = null;
  const start = () =>
    new Promise<void>((resolve) => {
      if (server) return resolve();
      server = http.createServer((_req, res) => res.end('{}'));
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

/** One blip, then `observeMs` of watching: every incident it opened is settled and its actions counted. */
async function quietDrill(sys: TestSystem, spec: DrillSpec, run: number, blip: () => Promise<void>, observeMs = OBSERVE_MS): Promise<DrillRun> {
  const before = await runIdsOf(sys);
  const at = Date.now();
  await blip();
  await sleep(observeMs);
  const incidents = await opened(sys, before);
  const settled = [];
  for (const { handle } of incidents) settled.push(await settle(handle, 60_000).catch(() => null));
  const actions = settled.flatMap((s) => s?.status.actions ?? []);
  const outcomes = settled.map((s) => (s ? (s.status.escalation ? 'escalated' : (s.status.outcome ?? s.status.phase)) : 'open'));
  const verdict = judgeRun(spec, {
    outcome: incidents.length ? outcomes.join(', ') : null,
    classified: null,
    actions: actions.map((a) => ({ action: a.action, performed: a.performed })),
    escalated: settled.some((s) => !!s?.status.escalation),
  });
  const described = await collateral(sys, before, undefined);
  return {
    drill: spec.id,
    class: null,
    run,
    outcome: incidents.length ? `${incidents.length} incident(s): ${outcomes.join(', ')}` : 'no-incident',
    classified: settled[0]?.status.class ?? null,
    detectSeconds: settled[0] ? Math.round((Date.parse(settled[0].status.startedAt) - at) / 10) / 100 : null,
    mitigateSeconds: null,
    recoverSeconds: null,
    actions: actions.map((a) => a.action),
    baselinePm2Seconds: undefined,
    passed: verdict.passed,
    why: verdict.why,
    incidentIds: settled.flatMap((s) => (s ? [s.status.incidentId] : [])),
    escalation: settled.find((s) => s?.status.escalation)?.status.escalation?.reason ?? null,
    ...(described.length ? { extra: { incidents: described } } : {}),
  };
}

export async function falsePositives(ctx: FamilyContext): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'zt-drill-fp-'));
  const registryPath = path.join(tmp, 'deploys.jsonl');
  const translator = await startTranslator(await freePortRange(1));
  const offTranslator = onExit(() => translator.stop());
  const dns = await startDnsServer({ [DNS_NAME]: ['127.0.0.1'] });
  const offDns = onExit(() => dns.stop());
  try {
    await using(
      () =>
        startTestSystem({
          demoEnv: { LOCALIZE_API_TRANSLATOR_URL: `${translator.origin}/translate` },
          detectors: {
            // The resources drill's setting. At the detection test's 30 MB/min over 8 s, fresh instances warming
            // up under this traffic read as leaking (a smoke run opened a memory-leak incident, no action).
            memory: { windowMs: 8_000, growthMbPerMinute: 120, intervalMs: 500 },
            cpu: { percent: 25, sustainedMs: 3_000, intervalMs: 500 },
            startup: { graceMs: 3_000, intervalMs: 500 },
            routes: { windowMs: 5_000, p95Ms: 300, minRequests: 5, intervalMs: 500 },
            deploy: { windowMs: 60_000, warmupMs: 1_000, errorRatio: 0.1, minRequests: 10, intervalMs: 500, registryPath },
            upstreams: [{ name: 'translator', intervalMs: 200, errorWindowMs: 3_000 }],
            dns: { names: [DNS_NAME], servers: [dns.address], intervalMs: 200, timeoutMs: 300 },
          },
          config: { governor: DRILL_GOVERNOR },
        }),
      async (sys) => {
        await sys.startSentinel();
        const url = (i: number) => sys.instanceUrl(i);
        const load = new Traffic([0, 1].flatMap((i) => [{ url: `${url(i)}/api/videos` }, { url: `${url(i)}/api/videos/v-1001` }]), 80);
        const job = { method: 'POST', body: JSON.stringify({ videoId: 'v-1001', targetLanguage: 'ja' }), headers: { 'content-type': 'application/json' } };
        try {
          await runEach(
            ctx,
            {
              'fp-probe-blip': (spec, run) =>
                quietDrill(sys, spec, run, async () => {
                  await injectFault(url(0), { fault: 'unhealthy' });
                  await sleep(sys.config.sentinel.probeIntervalMs * 0.4);
                  await clearFaults(url(0));
                }),
              'fp-requested-restart': (spec, run) =>
                quietDrill(sys, spec, run, async () => {
                  const p = (await sys.pm2.listApp(sys.service)).find((x) => x.instance === 1);
                  if (p) await sys.pm2.restart(p.pmId);
                }),
              'fp-cpu-burst': (spec, run) =>
                quietDrill(sys, spec, run, async () => {
                  await injectFault(url(1), { fault: 'cpu', percent: 100 });
                  await sleep(1_500);
                  await clearFaults(url(1));
                }),
              'fp-gc-sawtooth': (spec, run) =>
                quietDrill(sys, spec, run, async () => {
                  await injectFault(url(1), { fault: 'sawtooth', mb: 64, periodMs: 2_000 });
                  await sleep(20_000);
                  await clearFaults(url(1));
                }),
              'fp-slow-request': (spec, run) =>
                quietDrill(sys, spec, run, () =>
                  load.without(url(0), async () => {
                    await injectFault(url(0), { fault: 'slow', ms: 1_500 });
                    const slow = fetch(`${url(0)}/api/videos`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.arrayBuffer(), () => undefined);
                    await sleep(150);
                    await clearFaults(url(0));
                    await slow;
                  }),
                ),
              'fp-deploy-warmup': (spec, run) =>
                quietDrill(sys, spec, run, async () => {
                  await new DeployRegistry(registryPath).recordDeploy({ service: sys.service, version: `r-blip-${run}`, by: 'drill' });
                  await Promise.all([0, 1].map((i) => injectFault(url(i), { fault: 'errors', rate: 0.5 })));
                  await sleep(500);
                  await Promise.all([0, 1].map((i) => clearFaults(url(i))));
                }),
              'fp-upstream-blip': (spec, run) =>
                quietDrill(sys, spec, run, async () => {
                  await translator.stop();
                  await fetch(`${url(0)}/api/localize`, { ...job, signal: AbortSignal.timeout(3_000) }).then((r) => r.arrayBuffer(), () => undefined);
                  await translator.start();
                }),
              'fp-dns-blip': (spec, run) =>
                quietDrill(sys, spec, run, async () => {
                  dns.delayNext(500);
                  await sleep(1_000);
                }),
            },
            () => quiet(sys, 2, 3_000),
            async () => {
              await translator.start().catch(() => undefined);
              await Promise.all([0, 1].map((i) => clearFaults(url(i), { timeoutMs: 500 }).catch(() => undefined)));
              await restartAll(sys);
            },
          );
        } finally {
          await load.stop();
        }
      },
    );
  } finally {
    offTranslator();
    offDns();
    await translator.stop();
    await dns.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}
