// The HTTP ingress: alert webhooks in, incidents started or joined, plus health and metrics for
// whoever runs it. Stateless — every request is validated whole and handed to the one ingest path.
import fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema';
import type { Logger } from '../observability/logger';
import type { IngestPort } from './accept';
import { IngressError, toIngressError } from './errors';
import { createIngressMetrics, registerUndeliveredMetric, type IngressMetrics } from './metrics';
import { healthRoutes } from './routes/health';
import { hookRoutes, hookSourceOf } from './routes/hooks';
import { metricsRoute } from './routes/metrics';

export interface IngressServerOptions {
  config: Config;
  ingest: IngestPort;
  /** Resolves true when Temporal is reachable. */
  ready: () => Promise<boolean>;
  logger: Logger;
  /** Where the ingress's metrics go; a fresh Registry when omitted (never prom-client's global one). */
  registry?: Registry;
}

/**
 * Fastify's own request logging is info-level chatter; it gets the app's logger capped at warn. Typed
 * as FastifyBaseLogger so the instance is the plain FastifyInstance (a pino Logger type would make it
 * FastifyInstance<…, Logger>, which the default FastifyInstance type does not accept).
 */
function httpLogger(logger: Logger): FastifyBaseLogger {
  const level = logger.isLevelEnabled('warn') ? 'warn' : logger.level;
  return logger.child({ component: 'ingress-http' }, { level });
}

function errorHandler(logger: Logger, metrics: IngressMetrics) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const problem = toIngressError(error, request);
    const source = hookSourceOf(request.routeOptions.url);
    if (source) metrics.webhookRejected.inc({ source, reason: problem.code });
    const context = { method: request.method, url: request.url, status: problem.statusCode, error: problem.code };
    if (problem.statusCode === 500) logger.error({ ...context, err: error }, 'ingress request failed');
    else if (problem.statusCode !== 503) logger.warn(context, `ingress refused request: ${problem.message}`);
    return reply.code(problem.statusCode).headers(problem.headers).send(problem.body);
  };
}

export function buildIngressServer(opts: IngressServerOptions): FastifyInstance {
  const { config, logger } = opts;
  const metrics = createIngressMetrics(opts.registry);
  const app = fastify({ loggerInstance: httpLogger(logger), bodyLimit: config.http.bodyLimitBytes });

  app.setErrorHandler(errorHandler(logger, metrics));
  app.setNotFoundHandler((request, reply) => {
    const problem = new IngressError(404, 'not_found', `no route ${request.method} ${request.url}`);
    return reply.code(404).send(problem.body);
  });

  const { ingest } = opts;
  if (ingest.undeliveredAlerts !== undefined) registerUndeliveredMetric(metrics.registry, () => ingest.undeliveredAlerts ?? 0);
  // Alerts still being counted in a coalescing window were answered 202: send them before we go.
  if (ingest.flush) app.addHook('onClose', async () => ingest.flush?.());

  healthRoutes(app, opts.ready);
  metricsRoute(app, metrics.registry);
  app.register(
    hookRoutes({
      deps: { ingest: opts.ingest, metrics, logger },
      webhookToken: config.http.webhookToken,
      bodyLimit: config.http.bodyLimitBytes,
      grafanaHmacSecret: config.http.grafanaHmacSecret,
    }),
    { prefix: '/hooks' },
  );
  return app;
}
