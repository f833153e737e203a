// Where metrics are served (docs/metrics.md). `npm start` shows every zt_ metric on the ingress's
// /metrics; a worker run on its own (`npm run worker`, the compose shape) has no ingress, so it serves its
// incident metrics on a small server of its own. The Temporal SDK's metrics (temporal_*) come from the
// SDK core's own Prometheus exporter, set by ZT_TEMPORAL_METRICS_ADDRESS before any worker exists.
import { z } from 'zod';

export const metricsSchema = z.object({
  /** Whether a worker run without the ingress serves GET /metrics. */
  enabled: z.boolean().default(true),
  host: z.string().min(1).default('0.0.0.0'),
  port: z.number().int().min(0).max(65535).default(9464),
});

export type MetricsConfig = z.infer<typeof metricsSchema>;

/** A metrics environment variable that cannot be used (config/load.ts's ConfigError would import in a cycle). */
export class MetricsConfigError extends Error {
  override name = 'MetricsConfigError';
}

/** The worker's metrics server: config `metrics`, then ZT_METRICS_PORT / ZT_METRICS_HOST over it. */
export function metricsServerSettings(config: MetricsConfig, env: NodeJS.ProcessEnv = process.env): MetricsConfig {
  const settings = { ...config };
  const port = env.ZT_METRICS_PORT?.trim();
  if (port) {
    if (/^(off|none|false)$/i.test(port)) settings.enabled = false;
    else {
      const n = Number(port);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new MetricsConfigError(`ZT_METRICS_PORT must be a port number or "off", got "${port}"`);
      settings.port = n;
    }
  }
  if (env.ZT_METRICS_HOST?.trim()) settings.host = env.ZT_METRICS_HOST.trim();
  return settings;
}

export const DEFAULT_TEMPORAL_METRICS_ADDRESS = '127.0.0.1:9465';

export type TemporalMetricsAddress = { address: string | null; problem?: string };

/**
 * Where the SDK core exports its Prometheus metrics: ZT_TEMPORAL_METRICS_ADDRESS (`host:port`, or `off`).
 * Unset: 127.0.0.1:9465, except under node's test runner (NODE_TEST_CONTEXT), where test files run side by
 * side and a test that wants it sets it. A malformed value is reported, not thrown: metrics never stop a
 * worker from starting.
 */
export function temporalMetricsAddress(env: NodeJS.ProcessEnv = process.env): TemporalMetricsAddress {
  const raw = env.ZT_TEMPORAL_METRICS_ADDRESS?.trim();
  if (raw === undefined) return { address: env.NODE_TEST_CONTEXT ? null : DEFAULT_TEMPORAL_METRICS_ADDRESS };
  if (raw === '' || /^(off|none|false|0)$/i.test(raw)) return { address: null };
  const match = /^(\[[0-9a-f:]+\]|[^:\s]+):(\d{1,5})$/i.exec(raw);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    return { address: null, problem: `ZT_TEMPORAL_METRICS_ADDRESS must be host:port (e.g. 0.0.0.0:9465) or "off", got "${raw}"` };
  }
  return { address: raw };
}
