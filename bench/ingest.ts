// `npm run bench:ingest`: sustained alerts per second through the HTTP ingress with storm coalescing,
// p50/p99 latency and `lost` (alerts answered 202 that no incident counted), then the same alerts as raw
// `client.workflow.signalWithStart` calls against the same Temporal server in the same run, as the floor.
// Both load phases run with no Worker polling: on a 2-core machine a Worker replaying incident workflows
// competes with the ingress and the server for CPU, and what is measured here is what the ingress and
// the server can take in. The Worker is created (workflow bundle built) before the load, started after
// it, and `lost` is then read from every incident's `status` query once it has drained the signals.
// Ingress load comes from node:http (keep-alive) in its own worker thread, over loopback, with a fixed
// pool of concurrent senders, so the sender does not share the ingress's event loop. The floor is
// driven from the main thread with the same pool size and the same alert sequence. Each phase is bounded
// by BENCH_DURATION_MS and BENCH_MAX_REQUESTS. Prints numbers and writes reports/bench-ingest.json;
// never asserts.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { constants as perfConstants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { Worker as Thread } from 'node:worker_threads';
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
import { alertmanagerBody } from '../test/helpers/alertmanager-body';
import { createIncidentWorker } from '../workers/incident-worker';
import type { incidentWorkflow } from '../workflows';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const MAX_REQUESTS = Number(process.env.BENCH_MAX_REQUESTS ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
/** The target rate: latency is measured at this offered load, not only at saturation. */
const TARGET_RATE = Number(process.env.BENCH_TARGET_RATE ?? 2_000);
const SERVICES = 8;
/** Share of deliveries that are the storm: the same few alerts over and over (an HA pair, a flapping rule). */
const STORM_SHARE = 0.8;

const RUN = Math.random().toString(36).slice(2, 7);
const services = Array.from({ length: SERVICES }, (_, i) => `bench${i}-${RUN}`);
/** Warm-up goes to other services, so the measured phase starts cold: its first alerts pay signalWithStart. */
const warmServices = Array.from({ length: SERVICES }, (_, i) => `warm${i}-${RUN}`);
/** Two incident groups per service (availability, resources), two instances each: 32 distinct alerts, 16 keys. */
const ALERT_NAMES = ['InstanceUnhealthy', 'MemoryLeak'] as const;

interface Sample {
  service: string;
  name: string;
  instance: number;
}

/** A fixed pseudo-random mix, so every run (and both phases) sends the same sequence. */
function loadMix(count: number, services: string[]): Sample[] {
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
  return alertmanagerBody({
    ...s,
    startsAt: STARTS_AT,
    fingerprint: `${s.service}/${s.name}/${s.instance}`,
    summary: `${s.service} ${s.name} on instance ${s.instance}`,
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

function summarize(latencies: number[], statuses: Record<string, number>, elapsedMs: number): PhaseResult {
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

/**
 * The HTTP sender pool, run in a worker thread (plain JS: eval'd threads do not go through tsx). It posts
 * the bodies in order with `concurrency` senders until all are sent or the time is up. With `ratePerSecond`
 * it is open-loop: request i is due at start + i/rate and its latency counts from when it was due, so a
 * slow answer is not hidden by the sender waiting for it (no coordinated omission).
 */
const SENDER_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const http = require('node:http');
const { url, bodies, concurrency, timeLimitMs, ratePerSecond } = workerData;
// node:http with keep-alive, not fetch: on Node 20 fetch's web streams cost the sender several times the
// CPU of the request itself, and a sender that saturates first measures the sender, not the ingress.
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const target = new URL(url);
const latencies = [];
const statuses = {};
let next = 0;
function post(body) {
  return new Promise((resolve) => {
    const request = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.on('end', () => resolve(String(response.statusCode)));
    });
    request.on('error', (err) => resolve('error: ' + err.code));
    request.end(body);
  });
}
async function sender() {
  while (next < bodies.length && performance.now() < deadline) {
    const i = next++;
    const body = bodies[i];
    let t0 = performance.now();
    if (ratePerSecond) {
      const due = started + (i * 1000) / ratePerSecond;
      if (due > t0) await new Promise((r) => setTimeout(r, due - t0));
      t0 = due;
    }
    const status = await post(body);
    latencies.push(performance.now() - t0);
    statuses[status] = (statuses[status] || 0) + 1;
  }
}
const started = performance.now();
const deadline = started + timeLimitMs;
Promise.all(Array.from({ length: concurrency }, sender)).then(() => {
  agent.destroy();
  parentPort.postMessage({ latencies, statuses, elapsedMs: performance.now() - started });
});
`;

interface ThreadResult {
  latencies: number[];
  statuses: Record<string, number>;
  elapsedMs: number;
}

/** Posts `samples` as Alertmanager webhooks to the ingress from a sender thread. */
async function driveHttp(url: string, samples: Sample[], timeLimitMs: number, ratePerSecond = 0): Promise<PhaseResult> {
  const thread = new Thread(SENDER_THREAD, {
    eval: true,
    workerData: { url, bodies: samples.map(amBody), concurrency: CONCURRENCY, timeLimitMs, ratePerSecond },
  });
  try {
    const result = await new Promise<ThreadResult>((resolve, reject) => {
      thread.once('message', resolve);
      thread.once('error', reject);
    });
    return summarize(result.latencies, result.statuses, result.elapsedMs);
  } finally {
    await thread.terminate();
  }
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
  return summarize(latencies, statuses, performance.now() - started);
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

async function awaitCounted(client: Client, keys: string[], expected: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let counted = await countedByIncidents(client, keys).catch(() => 0);
  // Visibility (the list) lags behind the server and the Worker has a backlog of signals to drain after
  // the load; wait for both rather than report a false loss.
  while (counted < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    counted = await countedByIncidents(client, keys).catch(() => counted);
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

interface Measured {
  warmup: PhaseResult;
  ingress: PhaseResult;
  /** The storm continuing at the target rate, open loop. */
  atTarget: PhaseResult;
  /** The ingress process's event-loop delay during the open-loop phase (5 ms resolution). */
  eventLoopDelayMs: { p99: number; max: number };
  /** The ingress process's garbage-collection pauses during the target-rate phase. */
  gcPauses: GcPauses;
  raw: PhaseResult;
  flushMs: number;
}

interface GcPauses {
  count: number;
  totalMs: number;
  maxMs: number;
  /** Mark-sweep-compact collections: the long ones. */
  major: number;
}

/** Records this process's GC pauses until stopped: they explain latency tails the event-loop delay shows. */
function watchGc(): { stop(): GcPauses } {
  const pauses: GcPauses = { count: 0, totalMs: 0, maxMs: 0, major: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      pauses.count++;
      pauses.totalMs += entry.duration;
      pauses.maxMs = Math.max(pauses.maxMs, entry.duration);
      if ((entry as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) pauses.major++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop: () => {
      observer.disconnect();
      return pauses;
    },
  };
}

/** Warm-up, the measured ingress phase and its final flush, then the raw floor: no Worker polls meanwhile. */
async function loadPhases(client: Client, ingest: Ingest, url: string, taskQueue: string): Promise<Measured> {
  // Warm-up: connections, JIT and the server's first workflow starts are not what we measure.
  const warmup = await driveHttp(url, loadMix(500, warmServices), 5_000);
  await ingest.flush();
  const samples = loadMix(MAX_REQUESTS, services);
  const ingress = await driveHttp(url, samples, DURATION_MS);
  const flushStarted = performance.now();
  await ingest.flush();
  const flushMs = performance.now() - flushStarted;
  // Latency at the target rate (open loop), the same alert mix for other incidents of the same services.
  // The ingress's own event-loop delay meanwhile tells its stalls apart from the sender's or the server's.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const gc = watchGc();
  const atTarget = await driveHttp(url, loadMix(Math.round((TARGET_RATE * DURATION_MS) / 1000), services), DURATION_MS + 5_000, TARGET_RATE);
  loopDelay.disable();
  const gcPauses = gc.stop();
  const eventLoopDelayMs = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  await ingest.flush();
  // The floor: the very alerts the ingress was sent, as raw signalWithStart calls, same pool, same server.
  const raw = await drive(samples.slice(0, ingress.sent), DURATION_MS, rawSignalWithStart(client, taskQueue));
  return { warmup, ingress, atTarget, raw, flushMs, eventLoopDelayMs, gcPauses };
}

function printTable(m: Measured, lost: number, rawLost: number, undelivered: number, drainMs: number): number {
  const header = ['phase', 'sent', 'accepted', 'failed', 'alerts/s', 'p50 ms', 'p99 ms', 'seconds'];
  console.log(header.map((c, i) => c.padStart(i === 0 ? 0 : 10).padEnd(i === 0 ? 26 : 0)).join(' '));
  console.log(row('ingress, saturation', m.ingress));
  console.log(row(`ingress at ${TARGET_RATE}/s (open loop)`, m.atTarget));
  console.log(row('raw signalWithStart', m.raw));
  const ratioVsRaw = m.ingress.perSecond / m.raw.perSecond;
  console.log(`ratio vs raw ${ratioVsRaw.toFixed(2)}×; lost ${lost} of ${m.warmup.accepted + m.ingress.accepted + m.atTarget.accepted} accepted (all phases); ` +
    `raw lost ${rawLost}; undelivered ${undelivered}; final flush ${m.flushMs.toFixed(0)} ms; worker drain ${(drainMs / 1000).toFixed(1)} s`);
  console.log(`ingress event-loop delay at ${TARGET_RATE}/s: p99 ${m.eventLoopDelayMs.p99.toFixed(1)} ms, max ${m.eventLoopDelayMs.max.toFixed(1)} ms; ` +
    `GC ${m.gcPauses.count} pauses (${m.gcPauses.major} major), ${m.gcPauses.totalMs.toFixed(0)} ms in all, longest ${m.gcPauses.maxMs.toFixed(1)} ms`);
  if (m.ingress.failed || m.raw.failed) console.log(`statuses: ingress ${JSON.stringify(m.ingress.statuses)}, raw ${JSON.stringify(m.raw.statuses)}`);
  return ratioVsRaw;
}

async function main(): Promise<void> {
  const silent = pino({ level: 'silent' });
  installTemporalRuntime(silent);
  const endpoint = await provisionTemporal({ headless: true, log: { info: () => undefined, warn: (m) => console.warn(m) } });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-bench-ingest-'));
  const config = parseConfig({
    temporal: { address: endpoint.address, namespace: endpoint.namespace, taskQueue: `bench-ingest-${RUN}` },
    pm2: { home: path.join(dir, 'pm2') },
    services: [...services, ...warmServices].map((name, i) => ({ name, basePort: 41_000 + i * 10 })),
    // No remediation during a benchmark; a long verification keeps incidents open like a real storm's.
    policy: { mode: 'observe', verification: { windowMs: 120_000 } },
  });
  const connection = await Connection.connect({ address: endpoint.address });
  const client = new Client({ connection, namespace: endpoint.namespace });
  const native = await NativeConnection.connect({ address: endpoint.address });
  const pm2 = await Pm2Client.connect({ home: config.pm2.home! });
  // Created (and its workflow bundle built) now, but run only after the load: see the header.
  const worker = await createIncidentWorker({ connection: native, config, pm2, logger: silent });
  let running: Promise<void> | null = null;
  const ingest = new Ingest(client, config, silent);
  const app = buildIngressServer({ config, ingest, ready: async () => true, logger: silent });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const keysOf = (names: string[]) => [...new Set(names.flatMap((s) => ALERT_NAMES.map((n) => incidentKey(s, n))))];
  const keys = keysOf(services);
  const allKeys = keysOf([...services, ...warmServices]);
  const rawKeys = keys.map((k) => `raw-${k}`);

  try {
    console.log(`bench:ingest — ${CONCURRENCY} concurrent senders, ≤ ${DURATION_MS / 1000} s or ${MAX_REQUESTS} alerts per phase, ` +
      `${keys.length} incident keys, ${STORM_SHARE * 100}% storm, coalesce window ${config.http.coalesceMs} ms, ` +
      `worker after load, Temporal ${endpoint.address}`);
    const m = await loadPhases(client, ingest, `${baseUrl}/hooks/alertmanager`, config.temporal.taskQueue);

    const drainStarted = performance.now();
    running = worker.run();
    const accepted = m.warmup.accepted + m.ingress.accepted + m.atTarget.accepted;
    const lost = accepted - (await awaitCounted(client, allKeys, accepted));
    const rawLost = m.raw.accepted - (await awaitCounted(client, rawKeys, m.raw.accepted));
    const drainMs = performance.now() - drainStarted;
    const ratioVsRaw = printTable(m, lost, rawLost, ingest.undeliveredAlerts, drainMs);

    const report = {
      measuredAt: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      load: {
        concurrency: CONCURRENCY,
        durationMs: DURATION_MS,
        maxRequests: MAX_REQUESTS,
        incidentKeys: keys.length,
        stormShare: STORM_SHARE,
        coalesceMs: config.http.coalesceMs,
        worker: 'after load',
        generator: 'node:http keep-alive in a worker thread, loopback; raw floor from the main thread',
      },
      // Throughput at saturation (closed loop); latency at the target rate (open loop, from when due).
      alertsPerSecond: Math.round(m.ingress.perSecond),
      targetRatePerSecond: TARGET_RATE,
      p50Ms: round(m.atTarget.p50Ms),
      p99Ms: round(m.atTarget.p99Ms),
      saturationP50Ms: round(m.ingress.p50Ms),
      saturationP99Ms: round(m.ingress.p99Ms),
      eventLoopDelayP99Ms: round(m.eventLoopDelayMs.p99),
      eventLoopDelayMaxMs: round(m.eventLoopDelayMs.max),
      gcPausesAtTarget: { count: m.gcPauses.count, major: m.gcPauses.major, totalMs: round(m.gcPauses.totalMs), maxMs: round(m.gcPauses.maxMs) },
      rawSignalWithStartPerSecond: Math.round(m.raw.perSecond),
      rawP50Ms: round(m.raw.p50Ms),
      rawP99Ms: round(m.raw.p99Ms),
      ratioVsRaw: round(ratioVsRaw),
      lost,
      rawLost,
      undelivered: ingest.undeliveredAlerts,
      finalFlushMs: round(m.flushMs),
      workerDrainMs: round(drainMs),
      warmup: m.warmup,
      ingress: m.ingress,
      atTarget: m.atTarget,
      raw: m.raw,
    };
    await mkdir('reports', { recursive: true });
    await writeFile('reports/bench-ingest.json', `${JSON.stringify(report, null, 2)}\n`);
    console.log('wrote reports/bench-ingest.json');
  } finally {
    await app.close();
    await terminateAll(client, [...allKeys, ...rawKeys]).catch(() => undefined);
    if (running) worker.shutdown();
    await running?.catch(() => undefined);
    await native.close();
    await pm2.killDaemon().catch(() => undefined);
    await pm2.disconnect().catch(() => undefined);
    await connection.close();
    await endpoint.stop();
    await rm(dir, { recursive: true, force: true });
  }
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
