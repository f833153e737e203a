// Assembles the running system from its parts. `npm start` runs all of them in one process; the
// compose stack runs each part (worker, ingress, sentinel) as its own scalable process.
import { hostname } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { Registry } from 'prom-client';
import { metricsServerSettings } from '../config/metrics';
import type { Config } from '../config/schema';
import { pm2HomeOf, statePath } from '../config/paths';
import { usesDemo } from '../config/services';
import { demoApp } from '../demo/ecosystem';
import { Ingest } from '../ingress/ingest';
import { createIngressMetrics } from '../ingress/metrics';
import { buildIngressServer } from '../ingress/server';
import { createIncidentMetrics } from '../observability/incident-metrics';
import type { Logger } from '../observability/logger';
import { Pm2Client } from '../pm2/client';
import { ensureGovernor } from '../signals/governor-client';
import { startSentinel } from '../sentinel';
import { ingestSink } from './alert-sink';
import { createIncidentWorker } from './incident-worker';
import { startMetricsServer } from './metrics-server';
import { ledgerSettingsFromEnv, openLedger } from '../ledger';

export interface SystemParts {
  worker: boolean;
  ingress: boolean;
  sentinel: boolean;
  /** Run the demo target under a PM2 daemon of our own (only when no services are configured). */
  demo: boolean;
}

export interface RunningSystem {
  webhookUrl: string | null;
  /** Where this process's zt_ metrics are served: the ingress's /metrics, or the worker's own server. */
  metricsUrl: string | null;
  pm2Home: string;
  stop(): Promise<void>;
}

export async function startSystem(config: Config, address: string, parts: SystemParts, logger: Logger): Promise<RunningSystem> {
  const demo = parts.demo && usesDemo(config);
  const pm2Home = pm2HomeOf(config);
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch((err) => logger.warn({ err }, 'error while stopping'));
  };
  // A worker without the ingress serves its metrics itself; a bad ZT_METRICS_PORT stops it before anything starts.
  const served = parts.worker && !parts.ingress ? metricsServerSettings(config.metrics) : null;
  try {
    const pm2 = await Pm2Client.connect({ home: pm2Home });
    stops.push(() => pm2.disconnect());
    if (demo) {
      // Our own daemon: on stop nothing of it may be left behind.
      stops.push(() => pm2.killDaemon());
      for (const p of await pm2.listApp('localize-api')) await pm2.delete(p.pmId).catch(() => undefined);
      await pm2.start(demoApp({ instances: config.demo.instances, basePort: config.demo.basePort, stateDir: statePath(config.demo.stateDir) }));
    }

    const connection = await Connection.connect({ address });
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: config.temporal.namespace });
    // One registry per process: in `npm start` the ingress's /metrics shows the worker's metrics too.
    const registry = new Registry();
    const ingest = new Ingest(client, config, logger, parts.ingress ? createIngressMetrics(registry) : undefined);
    // Coalesced alert counts still in a window go out before the connection closes.
    stops.push(() => ingest.close());

    if (parts.worker) {
      // DATABASE_URL, else the embedded PGlite: closed after the worker, which may still be recording.
      const ledger = await openLedger({ ...ledgerSettingsFromEnv(), logger });
      stops.push(() => ledger.close());
      logger.info({ ledger: ledger.where }, 'audit ledger open');
      const native = await NativeConnection.connect({ address });
      const worker = await createIncidentWorker({ connection: native, config, pm2, logger, metrics: createIncidentMetrics(registry), ledger: ledger.ledger });
      const running = worker.run();
      stops.push(async () => {
        worker.shutdown();
        await running;
        await native.close();
      });
      // The governor bounds every action of this worker's incidents; this also hands it this worker's config.
      await ensureGovernor(client, config, `worker ${hostname()} pid ${process.pid}`).catch((err: unknown) =>
        logger.warn({ err }, 'could not reach the governor now; the first permit request starts it'),
      );
    }

    let metricsUrl: string | null = null;
    if (served?.enabled) {
      const server = await startMetricsServer({ registry, host: served.host, port: served.port, logger });
      if (server) stops.push(() => server.close());
      metricsUrl = server?.url ?? null;
    }

    let webhookUrl: string | null = null;
    if (parts.ingress) {
      const ready = async () => {
        await connection.workflowService.getSystemInfo({});
        return true;
      };
      const app = buildIngressServer({ config, ingest, ready, logger, registry });
      await app.listen({ host: config.http.host, port: config.http.port });
      stops.push(() => app.close());
      webhookUrl = `http://${config.http.host}:${config.http.port}/hooks/alertmanager`;
      metricsUrl = `http://${config.http.host}:${config.http.port}/metrics`;
    }

    if (parts.sentinel && config.sentinel.enabled) {
      const sentinel = await startSentinel({ config, pm2, sink: ingestSink(ingest), logger });
      stops.push(() => sentinel.stop());
    }
    return { webhookUrl, metricsUrl, pm2Home, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
