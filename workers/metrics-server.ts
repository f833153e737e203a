// A worker run without the ingress (`npm run worker`, the compose shape) has no /metrics of its own:
// this tiny server gives it one, on config `metrics` / ZT_METRICS_PORT (default 0.0.0.0:9464).
import fastify from 'fastify';
import type { Registry } from 'prom-client';
import { metricsRoute } from '../ingress/routes/metrics';
import type { Logger } from '../observability/logger';

export interface MetricsServer {
  /** e.g. http://0.0.0.0:9464/metrics */
  url: string;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  registry: Registry;
  host: string;
  port: number;
  logger: Logger;
}

/**
 * Serves GET /metrics and GET /healthz. Metrics never stop a worker: when the port is taken, it logs a
 * warning and returns null, and the worker runs on without.
 */
export async function startMetricsServer({ registry, host, port, logger }: MetricsServerOptions): Promise<MetricsServer | null> {
  const app = fastify({ logger: false });
  metricsRoute(app, registry);
  app.get('/healthz', async () => ({ ok: true }));
  try {
    await app.listen({ host, port });
  } catch (err) {
    logger.warn({ err, host, port }, `worker metrics not served: cannot listen on ${host}:${port} (${(err as Error).message})`);
    await app.close().catch(() => undefined);
    return null;
  }
  const address = app.server.address();
  const bound = address && typeof address === 'object' ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`;
  logger.info({ url }, `worker metrics on ${url}`);
  return { url, close: () => app.close() };
}
