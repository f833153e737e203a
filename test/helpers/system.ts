// A whole zero-touch system for one integration test file, on real components: the runner's Temporal
// server, a PM2 daemon of its own (temporary PM2_HOME) running the demo target on free ports, a real
// Worker on a task queue of its own, the ingest path and (optionally) the sentinel.
import type { AlertInput } from '../../signals/alert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { parseConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { demoApp, demoInstanceUrl } from '../../demo/ecosystem';
import { isPortFree } from '../../temporal/free-port';
import { Ingest } from '../../ingress/ingest';
import { createLogger } from '../../observability/logger';
import { Pm2Client } from '../../pm2/client';
import { startSentinel } from '../../sentinel';
import { workflowIdFor } from '../../signals/incident';
import { ingestSink } from '../../workers/alert-sink';
import { createIncidentWorker, type IncidentWorker } from '../../workers/incident-worker';
import { ensureGovernor } from '../../signals/governor-client';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from './temporal';
import { openLedger, type Ledger } from '../../ledger';
import { dropSchema, testPostgres, TEST_DATABASE_URL, uniqueSchema } from './postgres';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundling takes seconds; one bundle serves every worker of a test process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietBundlerLogger });
  return bundle;
}
const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (m: string) => console.error(m),
};

export async function freePortRange(count: number): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const free = await Promise.all(Array.from({ length: count }, (_, i) => isPortFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}


export interface TestSystem {
  temporal: TestTemporal;
  /** `incident-<service>.<group>`: each test system has its own service name, so its incidents are its own. */
  workflowId(group?: string): string;
  config: Config;
  pm2: Pm2Client;
  ingest: Ingest;
  worker: IncidentWorker;
  /** The audit ledger the worker records in: the machine's PostgreSQL, a schema of this system's own. */
  ledger: Ledger;
  service: string;
  stateDir: string;
  basePort: number;
  instanceUrl(instance: number): string;
  /**
   * Starts the sentinel (PM2 bus + health prober) feeding the ingest path. `onIngested` is told, for each
   * batch, once the ingest path has accepted it (the incident's workflow started or signalled).
   */
  startSentinel(opts?: { onIngested?: (alerts: AlertInput[]) => void }): Promise<void>;
  stop(): Promise<void>;
}

export interface TestSystemOptions {
  instances?: number;
  /** The demo's first port (instance i listens on basePort + i), when something must know it first (e.g. HAProxy). */
  basePort?: number;
  execMode?: 'fork' | 'cluster';
  /** More environment for the demo target, e.g. the translator upstream it calls. */
  demoEnv?: Record<string, string>;
  /** The demo service's tags (e.g. "auth", "billing": its incidents always escalate). */
  tags?: string[];
  /** The demo service's `actions` section (scale, deploy, traffic, cache, disk). */
  actions?: Record<string, any>;
  /** The demo service's `detectors` section. */
  detectors?: Record<string, any>;
  /** More configured services after the demo's (not run by PM2), e.g. the other services of an alert storm. */
  extraServices?: Array<Record<string, any>>;
  /** Top-level sections replaced over the test defaults (`services` is built from the options above). */
  config?: Record<string, any>;
  /** Run the demo through a release layout: PM2 starts `<appDir>/current/localize-api.js` (demoApp's appDir). */
  appDir?: string;
  /** The ledger's PostgreSQL (default the machine's, TEST_DATABASE_URL), e.g. a private cluster a test stops. */
  ledgerDatabaseUrl?: string;
  /** Runs once the config exists and PM2 is connected, before the demo starts (e.g. `zt deploy` a first release). */
  beforeDemoStart?: (config: Config) => Promise<void>;
}

export async function startTestSystem(opts: TestSystemOptions = {}): Promise<TestSystem> {
  const temporal = await testTemporal();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-test-'));
  const stateDir = path.join(dir, 'demo');
  const instances = opts.instances ?? 2;
  const basePort = opts.basePort ?? (await freePortRange(instances));
  // Test files share one Temporal server; a service name of their own keeps their incident ids apart.
  const service = `localize-api-${Math.random().toString(36).slice(2, 8)}`;
  const config = parseConfig({
    temporal: { taskQueue: uniqueTaskQueue('zt'), address: temporal.address },
    pm2: { home: path.join(dir, 'pm2') },
    policy: { proposalsDir: path.join(dir, 'proposals') },
    services: [{ name: service, basePort, instances, ...(opts.tags ? { tags: opts.tags } : {}), ...(opts.actions ? { actions: opts.actions } : {}), ...(opts.detectors ? { detectors: opts.detectors } : {}) }, ...(opts.extraServices ?? [])],
    ...(opts.config ?? {}),
  });
  const logger = createLogger('test');
  const pm2 = await Pm2Client.connect({ home: config.pm2.home! });
  await opts.beforeDemoStart?.(config);
  await pm2.start(
    demoApp({
      name: service,
      instances,
      basePort,
      stateDir,
      execMode: opts.execMode ?? 'fork',
      ...(opts.demoEnv ? { extraEnv: opts.demoEnv } : {}),
      ...(opts.appDir !== undefined ? { appDir: opts.appDir } : {}),
    }),
  );
  await waitForHealthy(basePort, instances);

  const ingest = new Ingest(temporal.client, config);
  const ledgerSchema = uniqueSchema('zt_sys');
  const ledgerUrl = opts.ledgerDatabaseUrl ?? TEST_DATABASE_URL;
  const ledger = await openLedger({ databaseUrl: ledgerUrl, dataDir: '', schema: ledgerSchema, logger });
  const worker = await createIncidentWorker({
    connection: temporal.native,
    config,
    pm2,
    logger,
    ledger: ledger.ledger,
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  // As a production worker does at start (workers/system.ts): the governor runs before the first incident,
  // so a drill's first incident is not the one that pays for starting it.
  await ensureGovernor(temporal.client, config, 'test system');
  let sentinel: { stop(): Promise<void> } | undefined;

  return {
    temporal,
    config,
    pm2,
    ingest,
    worker,
    ledger: ledger.ledger,
    service,
    workflowId: (group = 'availability') => workflowIdFor(`${service}.${group}`),
    stateDir,
    basePort,
    instanceUrl: (i) => demoInstanceUrl(basePort, i),
    async startSentinel(opts) {
      const sink = ingestSink(ingest);
      const onIngested = opts?.onIngested;
      sentinel = await startSentinel({ config, pm2, sink: onIngested ? async (alerts) => (await sink(alerts), onIngested(alerts)) : sink, logger });
    },
    async stop() {
      await sentinel?.stop();
      // Alerts still being counted go out while the connection is open.
      await ingest.close().catch(() => undefined);
      worker.shutdown();
      await running.catch(() => undefined);
      await ledger.close().catch(() => undefined);
      const pg = await testPostgres(ledgerUrl).catch(() => null);
      if (pg) await dropSchema(pg, ledgerSchema).finally(() => pg.end());
      // The app's pids first: a daemon too busy to answer killDaemon (a CPU drill on two cores) must not
      // leave burning instances behind for the next test.
      const pids = (await pm2.listApp(service).catch(() => [])).map((p) => p.pid).filter((pid) => pid > 0);
      const killed = await pm2.killDaemon().then(() => true, () => false);
      if (!killed) await killLeftovers(path.join(dir, 'pm2', 'pm2.pid'), pids);
      await pm2.disconnect();
      await temporal.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** SIGKILLs a PM2 daemon (by its pid file) and the app processes it ran. */
async function killLeftovers(daemonPidFile: string, appPids: number[]): Promise<void> {
  const daemonPid = Number((await readFile(daemonPidFile, 'utf8').catch(() => '')).trim());
  for (const pid of [...(daemonPid > 0 ? [daemonPid] : []), ...appPids]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export async function waitForHealthy(basePort: number, instances: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await Promise.all(
      Array.from({ length: instances }, (_, i) =>
        fetch(`${demoInstanceUrl(basePort, i)}/healthz`, { signal: AbortSignal.timeout(500) }).then((r) => r.ok, () => false),
      ),
    );
    if (ok.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`demo target on ${basePort} not healthy within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls until `check` returns a value (not undefined), or fails naming what it waited for. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
