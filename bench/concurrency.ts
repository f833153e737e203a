// `npm run bench:concurrency [levels…]`: how recovery time degrades with concurrent incidents — 1, 50, 200
// and 500 hang incidents opened at once, each on a service of its own.
//
// What is real: the Temporal dev server, the ingest path (signalWithStart per incident), the incident
// workflows and the governor workflow, the Worker with the production activities (createActivities, the
// same code and settings as workers/incident-worker.ts), the HTTP health probes and metric scrapes over
// loopback, and the audit ledger on the machine's PostgreSQL.
// What is not: 500 services × 2 PM2 instances would not fit two cores, so the PM2 client handed to the
// activities is a fake (an in-memory process table: list answers at once, restart/reload takes
// FAKE_RESTART_MS and leaves a fresh, healthy process), and the instances are one lightweight HTTP server
// that answers every configured instance's health URL (a hung instance never answers, so the probe times
// out exactly as on a real hang) and an empty /metrics. The sentinel does not run: the bench sends the alert
// a health prober would send. Recovery = fault (alert sent) → verified recovery (the report's endedAt).
// Numbers, not assertions; writes reports/bench-concurrency.json.
process.env.ZT_TEMPORAL_METRICS_ADDRESS ??= 'off';
import http from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import pino from 'pino';
import { parseConfig } from '../config/load';
import { Ingest } from '../ingress/ingest';
import { openLedger } from '../ledger';
import { installTemporalRuntime } from '../observability/temporal-runtime';
import type { Pm2Client, Pm2Process } from '../pm2/client';
import { alertSchema } from '../signals/alert';
import type { IncidentReport } from '../signals/incident';
import { provisionTemporal } from '../temporal/provision';
import { dropSchema, testPostgres, TEST_DATABASE_URL, uniqueSchema } from '../test/helpers/postgres';
import { createIncidentWorker } from '../workers/incident-worker';
import { BENCH_GOVERNOR, quantile, runBench } from './recovery-summary';

const LEVELS = process.argv.slice(2).map(Number).filter((n) => n > 0);
const levels = LEVELS.length ? LEVELS : [1, 50, 200, 500];
const SERVICES = Math.max(...levels);
const FAKE_RESTART_MS = Number(process.env.BENCH_FAKE_RESTART_MS ?? 300);
const LEVEL_TIMEOUT_MS = Number(process.env.BENCH_LEVEL_TIMEOUT_MS ?? 900_000);

interface FakeProcess extends Pm2Process {
  hung: boolean;
}

/** The PM2 client's surface the activities use, over an in-memory process table. */
class FakePm2 {
  private readonly byName = new Map<string, FakeProcess[]>();
  private readonly byId = new Map<number, FakeProcess>();
  private nextPid = 100_000;
  restarts = 0;

  add(name: string, instances: number): void {
    const now = Date.now();
    const list: FakeProcess[] = [];
    for (let instance = 0; instance < instances; instance++) {
      const p: FakeProcess = {
        pmId: this.byId.size,
        name,
        instance,
        pid: this.nextPid++,
        status: 'online',
        execMode: 'fork',
        restarts: 0,
        unstableRestarts: 0,
        exitCode: null,
        startedAt: now,
        createdAt: now,
        memoryBytes: 60 * 1024 * 1024,
        cpuPercent: 1,
        hung: false,
      };
      list.push(p);
      this.byId.set(p.pmId, p);
    }
    this.byName.set(name, list);
  }

  instance(name: string, instance: number): FakeProcess | undefined {
    return this.byName.get(name)?.[instance];
  }

  private view = (p: FakeProcess): Pm2Process => {
    const { hung: _hung, ...rest } = p;
    return { ...rest };
  };

  async list(): Promise<Pm2Process[]> {
    return [...this.byId.values()].map(this.view);
  }

  async listApp(name: string): Promise<Pm2Process[]> {
    return (this.byName.get(name) ?? []).map(this.view);
  }

  async restart(pmId: number): Promise<void> {
    const p = this.byId.get(pmId);
    if (!p) throw new Error(`pm2 restart ${pmId}: no such process`);
    await new Promise((r) => setTimeout(r, FAKE_RESTART_MS));
    Object.assign(p, { pid: this.nextPid++, restarts: p.restarts + 1, startedAt: Date.now(), hung: false, status: 'online' });
    this.restarts++;
  }

  reload(target: number | string): Promise<void> {
    if (typeof target === 'number') return this.restart(target);
    return Promise.all((this.byName.get(target) ?? []).map((p) => this.restart(p.pmId))).then(() => undefined);
  }

  async disconnect(): Promise<void> {}
}

/** Every instance's health URL on one server: /h/<service>/<port>/healthz. Hung instances never answer. */
function startFakeInstances(pm2: FakePm2, basePorts: Map<string, number>): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const m = /^\/h\/([^/]+)\/(\d+)\/healthz$/.exec(req.url ?? '');
    if (m) {
      const p = pm2.instance(m[1]!, Number(m[2]) - (basePorts.get(m[1]!) ?? 0));
      if (!p) return void res.writeHead(404).end();
      if (p.hung) return; // the prober times out, as on a blocked event loop
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    }
    if (req.url === '/metrics') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('');
    res.writeHead(404).end();
  });
  server.keepAliveTimeout = 1_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const round = (n: number) => Math.round(n * 100) / 100;
const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: round(quantile(s, 0.5)), p95: round(quantile(s, 0.95)), max: round(s[s.length - 1] ?? NaN) };
};

interface LevelResult {
  concurrent: number;
  completed: number;
  autoResolved: number;
  notCompleted: number;
  recoverySeconds: { p50: number; p95: number; max: number };
  toFirstActionSeconds: { p50: number; p95: number; max: number };
  ingestSeconds: number;
  wallSeconds: number;
  outcomes: Record<string, number>;
}

async function main(): Promise<void> {
  const silent = pino({ level: 'silent' });
  installTemporalRuntime(silent, { metricsAddress: null });
  const endpoint = await provisionTemporal({ headless: true, log: { info: () => undefined, warn: (m) => console.warn(m) } });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-bench-conc-'));
  const fake = new FakePm2();
  const run = Math.random().toString(36).slice(2, 6);
  const names = Array.from({ length: SERVICES }, (_, i) => `c${run}-${String(i).padStart(3, '0')}`);
  const basePorts = new Map(names.map((n, i) => [n, 20_000 + i * 4]));
  for (const n of names) fake.add(n, 2);
  const server = await startFakeInstances(fake, basePorts);
  const fakePort = (server.address() as AddressInfo).port;
  const config = parseConfig({
    temporal: { address: endpoint.address, namespace: endpoint.namespace, taskQueue: `bench-conc-${run}` },
    pm2: { home: path.join(dir, 'pm2') },
    governor: BENCH_GOVERNOR,
    services: names.map((name) => ({ name, basePort: basePorts.get(name)!, instances: 2, healthUrl: `http://127.0.0.1:${fakePort}/h/${name}/{port}/healthz` })),
  });
  const connection = await Connection.connect({ address: endpoint.address });
  const client = new Client({ connection, namespace: endpoint.namespace });
  const native = await NativeConnection.connect({ address: endpoint.address });
  const ledgerSchema = uniqueSchema('zt_bench_conc');
  const ledger = await openLedger({ databaseUrl: TEST_DATABASE_URL, dataDir: '', schema: ledgerSchema, logger: silent });
  const worker = await createIncidentWorker({ connection: native, config, pm2: fake as unknown as Pm2Client, logger: silent, ledger: ledger.ledger });
  const running = worker.run();
  const ingest = new Ingest(client, config, silent);
  const o = worker.incidents.options as unknown as Record<string, any>;
  const workerSettings = {
    workflowTaskSlots: o.tuner?.workflowTaskSlotSupplier?.numSlots,
    activityTaskSlots: o.tuner?.activityTaskSlotSupplier?.numSlots,
    workflowTaskPollers: o.workflowTaskPollerBehavior,
    activityTaskPollers: o.activityTaskPollerBehavior,
    maxCachedWorkflows: o.maxCachedWorkflows,
    stickyQueueScheduleToStartTimeout: o.stickyQueueScheduleToStartTimeout,
    workers: 1,
    note: 'createIncidentWorker as workers/incident-worker.ts builds it (the incidents\' queue with the SDK defaults, the governor on a queue of its own): nothing tuned',
  };
  const results: LevelResult[] = [];
  // Written after every level, so a run stopped part-way keeps the levels it measured.
  const writeReport = async () => {
    const out = {
      measuredAt: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      setUp: {
        real: ['Temporal dev server (in-memory)', 'Ingest.ingest → signalWithStart per incident', 'incident and governor workflows', 'production activities (createActivities)', 'HTTP health probes and metric scrapes over loopback', 'audit ledger on the machine PostgreSQL'],
        fake: [`PM2 client: in-memory process table; restart/reload takes ${FAKE_RESTART_MS} ms and leaves a fresh healthy process`, 'instances: one HTTP server answering every health URL (hung: never answers) and an empty /metrics', 'no sentinel: the bench sends the alert'],
        services: SERVICES,
        instancesPerService: 2,
        fault: 'instance 1 of each service hung (health probe times out)',
        recovery: 'alert sent → report.endedAt (verified recovery)',
        governor: BENCH_GOVERNOR,
        verification: config.policy.verification,
        diagnosis: config.policy.diagnosis,
      },
      worker: workerSettings,
      fakeRestarts: fake.restarts,
      levelsAsked: levels,
      levels: results,
    };
    await mkdir('reports', { recursive: true });
    await writeFile('reports/bench-concurrency.json', `${JSON.stringify(out, null, 2)}\n`);
  };
  let round_ = 0;
  try {
    console.log(`bench:concurrency — levels ${levels.join(', ')}; ${SERVICES} services × 2 fake PM2 instances; fake restart ${FAKE_RESTART_MS} ms; ` +
      `one worker (${workerSettings.activityTaskSlots} activity slots, ${workerSettings.workflowTaskSlots} workflow task slots, cache ${workerSettings.maxCachedWorkflows}); Temporal ${endpoint.address}`);
    for (const level of levels) {
      round_++;
      const services = names.slice(0, level);
      for (const s of services) fake.instance(s, 1)!.hung = true;
      const faultAt = Date.now();
      const handles = await Promise.all(
        services.map(async (service) => {
          await ingest.ingest([
            alertSchema.parse({
              source: 'generic', service, name: 'InstanceHealthTimeout', status: 'firing', instance: 1,
              summary: 'health check timed out', startsAt: new Date(faultAt).toISOString(), fingerprint: `${service}-conc-${round_}`,
            }),
          ]);
          // The run this alert started: the latest of the key (the previous level's run has closed).
          const d = await client.workflow.getHandle(`incident-${service}.availability`).describe();
          return client.workflow.getHandle(d.workflowId, d.runId);
        }),
      );
      const ingestSeconds = (Date.now() - faultAt) / 1000;
      const deadline = faultAt + LEVEL_TIMEOUT_MS;
      const reports = await Promise.all(
        handles.map((h) =>
          Promise.race([h.result() as Promise<IncidentReport>, new Promise<null>((r) => setTimeout(() => r(null), Math.max(0, deadline - Date.now())))]).catch(() => null),
        ),
      );
      const wallSeconds = (Date.now() - faultAt) / 1000;
      const done = reports.filter((r): r is IncidentReport => r !== null);
      const outcomes: Record<string, number> = {};
      for (const r of done) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      const recoveries = done.map((r) => (Date.parse(r.endedAt) - faultAt) / 1000);
      const firstActions = done.flatMap((r) => (r.actions[0] ? [(Date.parse(r.actions[0].startedAt) - faultAt) / 1000] : []));
      const result: LevelResult = {
        concurrent: level,
        completed: done.length,
        autoResolved: outcomes['auto-resolved'] ?? 0,
        notCompleted: level - done.length,
        recoverySeconds: stat(recoveries),
        toFirstActionSeconds: stat(firstActions),
        ingestSeconds: round(ingestSeconds),
        wallSeconds: round(wallSeconds),
        outcomes,
      };
      results.push(result);
      await writeReport();
      console.log(`${String(level).padStart(4)} concurrent: recovery p50 ${result.recoverySeconds.p50} s, p95 ${result.recoverySeconds.p95} s, max ${result.recoverySeconds.max} s; ` +
        `first action p50 ${result.toFirstActionSeconds.p50} s; ${result.autoResolved}/${level} auto-resolved${result.notCompleted ? `, ${result.notCompleted} not completed` : ''}; alerts in ${result.ingestSeconds} s`);
      // Stragglers are ended so the next level starts clean; their report-delivery children finish meanwhile.
      await Promise.all(handles.map((h, i) => (reports[i] ? undefined : h.terminate('bench level over').catch(() => undefined))));
      for (const s of services) fake.instance(s, 1)!.hung = false;
      await new Promise((r) => setTimeout(r, 10_000));
    }
  } finally {
    await ingest.close().catch(() => undefined);
    worker.shutdown();
    await running.catch(() => undefined);
    await native.close();
    await connection.close();
    await endpoint.stop();
    await ledger.close().catch(() => undefined);
    const pg = await testPostgres().catch(() => null);
    if (pg) await dropSchema(pg, ledgerSchema).finally(() => pg.end());
    server.closeAllConnections();
    server.close();
    await rm(dir, { recursive: true, force: true });
  }

  console.log('\nconcurrent  recovery p50 (s)  p95 (s)  max (s)  auto-resolved');
  for (const r of results) {
    console.log(`${String(r.concurrent).padStart(10)}  ${String(r.recoverySeconds.p50).padStart(16)}  ${String(r.recoverySeconds.p95).padStart(7)}  ${String(r.recoverySeconds.max).padStart(7)}  ${r.autoResolved}/${r.concurrent}`);
  }
  await writeReport();
  console.log('wrote reports/bench-concurrency.json');
}

runBench(main);
