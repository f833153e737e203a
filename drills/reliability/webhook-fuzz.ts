// Drill 4: fuzzed webhook bodies against the real HTTP ingress (buildIngressServer + the real Ingest on a
// real Temporal dev server). Every body comes from fuzz-bodies.ts with a seeded PRNG, names only services
// that are not configured, and must be answered with a 4xx; the ingress must keep answering (GET /healthz
// during and after), nothing may pollute Object.prototype, and no workflow may start on the drill's task
// queue (Temporal visibility). A failing body is made again with `fuzzCase(seed, index)`.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { parseConfig } from '../../config/load';
import { Ingest } from '../../ingress/ingest';
import { buildIngressServer } from '../../ingress/server';
import { testTemporal, uniqueTaskQueue } from '../../test/helpers/temporal';
import { countWorkflows, sleep } from './common';
import { describeCase, fuzzCase, FUZZ_KINDS, type FuzzCase } from './fuzz-bodies';
import { round, type DrillResult } from './summary';

export interface WebhookFuzzOptions {
  bodies: number;
  seed: number;
  concurrency: number;
  log: (line: string) => void;
}

interface Answer {
  status: string;
  code?: string;
  ms: number;
}

function post(agent: http.Agent, base: URL, c: FuzzCase): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const headers: http.OutgoingHttpHeaders = { 'content-length': c.body.length };
    if (c.contentType !== null) headers['content-type'] = c.contentType;
    const req = http.request({ host: base.hostname, port: base.port, path: c.route, method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.length < 4 && chunks.push(d));
      res.on('end', () => {
        let code: string | undefined;
        try {
          code = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: string }).error;
        } catch {
          code = 'unparsable-answer';
        }
        resolve({ status: String(res.statusCode), ...(code ? { code } : {}), ms: performance.now() - started });
      });
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ status: `error:${err.code ?? err.name}`, ms: performance.now() - started }));
    });
    req.setTimeout(30_000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: `error:${err.code ?? err.name}`, ms: performance.now() - started }));
    req.end(c.body);
  });
}

async function healthy(base: URL): Promise<boolean> {
  return fetch(new URL('/healthz', base), { signal: AbortSignal.timeout(5_000) }).then((r) => r.ok, () => false);
}

export async function webhookFuzzDrill(opts: WebhookFuzzOptions): Promise<DrillResult> {
  const temporal = await testTemporal();
  const taskQueue = uniqueTaskQueue('drill-fuzz');
  // One configured service the generator never names: a body that reaches ingest cannot be for it.
  const known = `fuzz-known-${Math.random().toString(36).slice(2, 8)}`;
  const config = parseConfig({ temporal: { address: temporal.address, taskQueue }, services: [{ name: known, basePort: 45_000, instances: 2 }] });
  const silent = pino({ level: 'silent' });
  const ingest = new Ingest(temporal.client, config, silent);
  let crashes = 0;
  const onCrash = () => crashes++;
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  const app = buildIngressServer({ config, ingest, ready: async () => true, logger: silent });
  const base = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const statuses: Record<string, number> = {};
  const byKind: Record<string, Record<string, number>> = Object.fromEntries(FUZZ_KINDS.map((k) => [k, {}]));
  const codes: Record<string, number> = {};
  const bad: Array<ReturnType<typeof describeCase> & { status: string; code?: string }> = [];
  const latencies: number[] = [];
  let healthChecksFailed = 0;
  let healthChecks = 0;
  const started = performance.now();
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (next < opts.bodies) {
          const index = next++;
          const c = fuzzCase(opts.seed, index);
          const answer = await post(agent, base, c);
          latencies.push(answer.ms);
          statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
          byKind[c.kind]![answer.status] = (byKind[c.kind]![answer.status] ?? 0) + 1;
          if (answer.code) codes[answer.code] = (codes[answer.code] ?? 0) + 1;
          const status = Number(answer.status);
          if (!(status >= 400 && status < 500)) bad.push({ ...describeCase(c), status: answer.status, ...(answer.code ? { code: answer.code } : {}) });
          if (index % 1000 === 999) {
            healthChecks++;
            if (!(await healthy(base))) healthChecksFailed++;
          }
        }
      }),
    );
    const elapsedS = (performance.now() - started) / 1000;
    await ingest.flush();
    const aliveAfter = await healthy(base);
    // Visibility lags a little behind: look twice, a few seconds apart.
    await sleep(2_000);
    let startedOnQueue = await countWorkflows(temporal.client, `TaskQueue = '${taskQueue}'`);
    await sleep(3_000);
    startedOnQueue = Math.max(startedOnQueue, await countWorkflows(temporal.client, `TaskQueue = '${taskQueue}'`));
    const startedAnywhere = await countWorkflows(temporal.client, '');
    const polluted = Object.keys(Object.prototype).length > 0 || ({} as Record<string, unknown>).polluted !== undefined;
    latencies.sort((a, b) => a - b);
    const fourXX = Object.entries(statuses).filter(([s]) => Number(s) >= 400 && Number(s) < 500).reduce((s, [, n]) => s + n, 0);
    opts.log(`  ${opts.bodies} bodies in ${elapsedS.toFixed(1)} s, seed ${opts.seed}: statuses ${JSON.stringify(statuses)}; ` +
      `workflows started on the drill's task queue ${startedOnQueue} (on the server ${startedAnywhere}); ingress alive ${aliveAfter}; crashes ${crashes}`);
    for (const b of bad.slice(0, 5)) opts.log(`  not a 4xx: index ${b.index} (${b.kind} ${b.route}) → ${b.status}: ${JSON.stringify(b.preview)}`);
    // Conditions over the whole run: any of them fails every body's pass.
    const failedBecause = [
      ...(crashes ? [`${crashes} uncaught exception(s) or unhandled rejection(s)`] : []),
      ...(aliveAfter ? [] : ['the ingress stopped answering /healthz']),
      ...(healthChecksFailed ? [`${healthChecksFailed} health check(s) failed during the run`] : []),
      ...(polluted ? ['Object.prototype was polluted'] : []),
      ...(startedOnQueue ? [`${startedOnQueue} workflow(s) started on the drill's task queue`] : []),
    ];
    const ok = failedBecause.length === 0;
    return {
      drill: 'fuzzed webhook bodies',
      runs: opts.bodies,
      // Bodies answered with a 4xx; 0 when a condition over the whole run failed (failedBecause).
      passed: ok ? fourXX : 0,
      lost: 0,
      duplicated: 0,
      details: {
        failedBecause,
        seed: opts.seed,
        reproduce: `fuzzCase(${opts.seed}, index) from drills/reliability/fuzz-bodies.ts`,
        concurrency: opts.concurrency,
        elapsedSeconds: round(elapsedS),
        statuses,
        errorCodes: codes,
        byKind,
        notFourXX: bad.length,
        notFourXXCases: bad.slice(0, 20),
        workflowsStartedOnDrillQueue: startedOnQueue,
        workflowsOnServer: startedAnywhere,
        incidentsStarted: startedOnQueue,
        crashes,
        healthChecks,
        healthChecksFailed,
        ingressAliveAfter: aliveAfter,
        objectPrototypePolluted: polluted,
        undeliveredAlerts: ingest.undeliveredAlerts,
        latencyMs: { p50: round(latencies[Math.floor(latencies.length * 0.5)] ?? NaN), p99: round(latencies[Math.floor(latencies.length * 0.99)] ?? NaN), max: round(latencies[latencies.length - 1] ?? NaN) },
      },
    };
  } finally {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    agent.destroy();
    await app.close().catch(() => undefined);
    await ingest.close().catch(() => undefined);
    await temporal.close();
  }
}
