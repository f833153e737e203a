// `npm run bench:ingest`: sustained alerts per second through the HTTP ingress with storm coalescing,
// p50/p99 latency and `lost` (alerts answered 202 that no incident counted), then the same alerts as raw
// `client.workflow.signalWithStart` calls against the same Temporal server in the same run, as the floor.
// A real Worker runs throughout: `lost` is read from each incident's `status` query, which needs one,
// and it keeps the server as busy as in production. Load comes from Node's bundled undici (fetch) with a
// fixed pool of concurrent senders. Prints numbers and writes reports/bench-ingest.json; never asserts.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import pino from 'pino';
import { parseConfig } from '../config/load';
import { Ingest } from '../ingress/ingest';
import { buildIngressServer } from '../ingress/server';
import { installTemporalRuntime } from '../observability/temporal-runtime';
import { incidentKey } from '../policy/groups';
import { Pm2Client } from '../pm2/client';
import { alertSchema, type Alert } from '../signals/alert';
import { alertSignal, statusQuery } from '../signals/contract';
import { workflowIdFor } from '../signals/incident';
import { IncidentPhase, IncidentService } from '../signals/search-attributes';
import { provisionTemporal } from '../temporal/provision';
import { createIncidentWorker } from '../workers/incident-worker';
import type { incidentWorkflow } from '../workflows';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const MAX_REQUESTS = Number(process.env.BENCH_MAX_REQUESTS ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const SERVICES = 8;
/** Share of deliveries that are the storm: the same few alerts over and over (an HA pair, a flapping rule). */
const STORM_SHARE = 0.8;

const RUN = Math.random().toString(36).slice(2, 7);
const services = Array.from({ length: SERVICES }, (_, i) => `bench${i}-${RUN}`);
/** Two incident groups per service (availability, resources), two instances each: 32 distinct alerts, 16 keys. */
const ALERT_NAMES = ['InstanceUnhealthy', 'MemoryLeak'] as const;

interface Sample {
  service: string;
  name: string;
  instance: number;
}

/** A fixed pseudo-random mix, so every run (and both phases) sends the same sequence. */
function loadMix(count: number): Sample[] {
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const hot: Sample[] = [
    { service: services[0]!, name: 'InstanceUnhealthy', instance: 0 },
    { service: services[0]!, name: 'InstanceUnhealthy', instance: 1 },
    { service: services[1]!, name: 'MemoryLeak', instance: 0 },
  ];
  return Array.from({ length: count }, () => {
    if (random() < STORM_SHARE) return hot[Math.floor(random() * hot.length)]!;
    const service = services[Math.floor(random() * services.length)]!;
    return { service, name: ALERT_NAMES[Math.floor(random() * ALERT_NAMES.length)]!, instance: Math.floor(random() * 2) };
  });
}

const STARTS_AT = new Date().toISOString();

function amBody(s: Sample): string {
  return JSON.stringify({
    version: '4',
    status: 'firing',
    receiver: 'zt',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: s.name, service: s.service, pm2_instance: String(s.instance) },
        annotations: { summary: `${s.service} ${s.name} on instance ${s.instance}` },
        startsAt: STARTS_AT,
        fingerprint: `${s.service}/${s.name}/${s.instance}`,
      },
    ],
  });
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

interface PhaseResult {
  sent: number;
  accepted: number;
  failed: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Sends `samples` with CONCURRENCY senders until all are sent or the time is up. */
async function drive(samples: Sample[], timeLimitMs: number, send: (s: Sample) => Promise<string>): Promise<PhaseResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  const deadline = started + timeLimitMs;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < samples.length && performance.now() < deadline) {
        const sample = samples[next++]!;
        const t0 = performance.now();
        let status: string;
        try {
          status = await send(sample);
        } catch (err) {
          status = `error: ${(err as Error).name}`;
        }
        latencies.push(performance.now() - t0);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const accepted = statuses['202'] ?? statuses.ok ?? 0;
  return {
    sent: latencies.length,
    accepted,
    failed: latencies.length - accepted,
    statuses,
    elapsedMs,
    perSecond: (accepted / elapsedMs) * 1000,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
  };
}

/** Sum of `alerts.received` over every run of every incident key of the given services. */
async function countedByIncidents(client: Client, keys: string[]): Promise<number> {
  let total = 0;
  for (const key of keys) {
    const workflowId = workflowIdFor(key);
    for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      total += (await client.workflow.getHandle(workflowId, run.runId).query(statusQuery)).alerts.received;
    }
  }
  return total;
}

async function awaitCounted(client: Client, keys: string[], expected: number, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let counted = await countedByIncidents(client, keys);
  // Visibility (the list) lags a moment behind the server; wait for it rather than report a false loss.
  while (counted < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    counted = await countedByIncidents(client, keys);
  }
  return counted;
}

function rawAlert(s: Sample): Alert {
  return alertSchema.parse({
    source: 'alertmanager',
    service: s.service,
    name: s.name,
    status: 'firing',
    instance: s.instance,
    summary: `${s.service} ${s.name} on instance ${s.instance}`,
    labels: { alertname: s.name, service: s.service, pm2_instance: String(s.instance) },
    startsAt: STARTS_AT,
    fingerprint: `${s.service}/${s.name}/${s.instance}`,
  });
}

/** Exactly what Ingest sends per alert, minus validation, HTTP and coalescing: the floor to compare with. */
function rawSignalWithStart(client: Client, taskQueue: string) {
  return async (s: Sample): Promise<string> => {
    const alert = rawAlert(s);
    const key = `raw-${incidentKey(alert.service, alert.name, alert.labels)}`;
    await client.workflow.signalWithStart<typeof incidentWorkflow, [unknown]>('incidentWorkflow', {
      workflowId: workflowIdFor(key),
      taskQueue,
      args: [{ key, service: alert.service, alert }],
      signal: alertSignal,
      signalArgs: [alert],
      staticSummary: `${alert.service}: ${alert.name}`,
      typedSearchAttributes: [
        { key: IncidentService, value: alert.service },
        { key: IncidentPhase, value: 'diagnosing' },
      ],
    });
    return 'ok';
  };
}

async function terminateAll(client: Client, keys: string[]): Promise<void> {
  for (const key of keys) {
    for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowIdFor(key)}' AND ExecutionStatus = 'Running'` })) {
      await client.workflow.getHandle(run.workflowId, run.runId).terminate('bench done').catch(() => undefined);
    }
  }
}

function row(label: string, r: PhaseResult): string {
  const cells = [label, r.sent, r.accepted, r.failed, r.perSecond.toFixed(0), r.p50Ms.toFixed(2), r.p99Ms.toFixed(2), (r.elapsedMs / 1000).toFixed(2)];
  return cells.map((c, i) => String(c).padStart(i === 0 ? 0 : 10).padEnd(i === 0 ? 26 : 0)).join(' ');
}

async function main(): Promise<void> {
  const silent = pino({ level: 'silent' });
  installTemporalRuntime(silent);
  const endpoint = await provisionTemporal({ headless: true, log: { info: () => undefined, warn: (m) => console.warn(m) } });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-bench-ingest-'));
  const config = parseConfig({
    temporal: { address: endpoint.address, namespace: endpoint.namespace, taskQueue: `bench-ingest-${RUN}` },
    pm2: { home: path.join(dir, 'pm2') },
    services: services.map((name, i) => ({ name, basePort: 41_000 + i * 10 })),
    // No remediation during a benchmark; a long verification keeps incidents open like a real storm's.
    policy: { mode: 'observe', verification: { windowMs: 120_000 } },
  });
  const connection = await Connection.connect({ address: endpoint.address });
  const client = new Client({ connection, namespace: endpoint.namespace });
  const native = await NativeConnection.connect({ address: endpoint.address });
  const pm2 = await Pm2Client.connect({ home: config.pm2.home! });
  const worker = await createIncidentWorker({ connection: native, config, pm2, logger: silent });
  const running = worker.run();
  const ingest = new Ingest(client, config, silent);
  const app = buildIngressServer({ config, ingest, ready: async () => true, logger: silent });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const keys = [...new Set(services.flatMap((s) => ALERT_NAMES.map((n) => incidentKey(s, n))))];

  try {
    console.log(`bench:ingest — ${CONCURRENCY} concurrent senders, ≤ ${DURATION_MS / 1000} s or ${MAX_REQUESTS} alerts per phase, ` +
      `${keys.length} incident keys, ${STORM_SHARE * 100}% storm, coalesce window ${config.http.coalesceMs} ms, Temporal ${endpoint.address}`);
    const samples = loadMix(MAX_REQUESTS);
    // Warm-up: connections, JIT and the first workflow starts are not what we measure.
    const warmup = await drive(samples.slice(0, 500), 5_000, async (s) => {
      const response = await fetch(`${baseUrl}/hooks/alertmanager`, warmupInit(s));
      await response.arrayBuffer();
      return String(response.status);
    });
    await ingest.flush();
    const before = await awaitCounted(client, keys, warmup.accepted);
    const viaIngress = await drive(samples, DURATION_MS, async (s) => {
      const response = await fetch(`${baseUrl}/hooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: amBody(s),
      });
      await response.arrayBuffer();
      return String(response.status);
    });
    const flushStarted = performance.now();
    await ingest.flush();
    const flushMs = performance.now() - flushStarted;
    const counted = (await awaitCounted(client, keys, before + viaIngress.accepted)) - before;
    const lost = viaIngress.accepted - counted;

    // The floor: the very alerts the ingress accepted, as raw signalWithStart calls, same senders, same server.
    const raw = await drive(samples.slice(0, viaIngress.sent), DURATION_MS * 3, rawSignalWithStart(client, config.temporal.taskQueue));

    const header = ['phase', 'sent', 'accepted', 'failed', 'alerts/s', 'p50 ms', 'p99 ms', 'seconds'];
    console.log(header.map((c, i) => c.padStart(i === 0 ? 0 : 10).padEnd(i === 0 ? 26 : 0)).join(' '));
    console.log(row('ingress (HTTP, coalesced)', viaIngress));
    console.log(row('raw signalWithStart', raw));
    const ratioVsRaw = viaIngress.perSecond / raw.perSecond;
    console.log(`ratio vs raw ${ratioVsRaw.toFixed(2)}×; lost ${lost} (accepted ${viaIngress.accepted}, counted by incidents ${counted}); ` +
      `undelivered ${ingest.undeliveredAlerts}; final flush ${flushMs.toFixed(0)} ms`);
    if (viaIngress.failed || raw.failed) console.log(`statuses: ingress ${JSON.stringify(viaIngress.statuses)}, raw ${JSON.stringify(raw.statuses)}`);

    const report = {
      measuredAt: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      load: { concurrency: CONCURRENCY, durationMs: DURATION_MS, maxRequests: MAX_REQUESTS, incidentKeys: keys.length, stormShare: STORM_SHARE, coalesceMs: config.http.coalesceMs, worker: true },
      alertsPerSecond: Math.round(viaIngress.perSecond),
      p50Ms: round(viaIngress.p50Ms),
      p99Ms: round(viaIngress.p99Ms),
      rawSignalWithStartPerSecond: Math.round(raw.perSecond),
      rawP50Ms: round(raw.p50Ms),
      rawP99Ms: round(raw.p99Ms),
      ratioVsRaw: round(ratioVsRaw),
      lost,
      undelivered: ingest.undeliveredAlerts,
      ingress: viaIngress,
      raw,
    };
    await mkdir('reports', { recursive: true });
    await writeFile('reports/bench-ingest.json', `${JSON.stringify(report, null, 2)}\n`);
    console.log('wrote reports/bench-ingest.json');
  } finally {
    await app.close();
    await terminateAll(client, [...keys, ...keys.map((k) => `raw-${k}`)]).catch(() => undefined);
    worker.shutdown();
    await running.catch(() => undefined);
    await native.close();
    await pm2.killDaemon().catch(() => undefined);
    await pm2.disconnect().catch(() => undefined);
    await connection.close();
    await endpoint.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function warmupInit(s: Sample): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: amBody(s) };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
