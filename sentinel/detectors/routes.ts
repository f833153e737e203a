// Route timeouts: per instance and route, the p95 latency of the requests answered in the last `windowMs`
// (from histogram bucket increases, as Prometheus would estimate it). A percentile over a window of many
// requests is the point: one slow request among many moves the p95 nowhere, and `minRequests` keeps a
// quiet route's single slow answer from being its whole p95.
import type { DetectorsConfig } from '../../config/schema';
import { DEFAULT_DAMPING, type DetectorFactory, type Observation } from '../detector';
import { InstanceMetrics } from './instance-metrics';
import type { RouteCounters } from './route-snapshot';
import { increaseSince, quantile } from './window-rates';

type RoutesConfig = NonNullable<DetectorsConfig['routes']>;

export interface RouteVerdict {
  failing: boolean;
  requests: number;
  /** Null with no requests in the window. */
  p95Ms: number | null;
}

export function judgeRoute(counters: RouteCounters, cfg: Pick<RoutesConfig, 'p95Ms' | 'minRequests'>): RouteVerdict {
  const requests = counters.latency.at(-1)?.count ?? 0;
  const p95 = quantile(0.95, counters.latency);
  const p95Ms = p95 === null ? null : Math.round(p95 * 1000);
  return { failing: requests >= cfg.minRequests && p95Ms !== null && p95Ms > cfg.p95Ms, requests, p95Ms };
}

export const routesDetector: DetectorFactory = ({ service, pm2, sentinel, logger }) => {
  const cfg = service.detectors.routes;
  if (!cfg) return null;
  const metrics = new InstanceMetrics({ service, pm2, metricsPath: cfg.metricsPath, timeoutMs: sentinel.probeTimeoutMs, keepMs: cfg.windowMs, logger });
  const seconds = Math.round(cfg.windowMs / 100) / 10;
  return {
    name: 'routes',
    intervalMs: cfg.intervalMs,
    damping: cfg.damping ?? DEFAULT_DAMPING,
    async observe() {
      const observations: Observation[] = [];
      for (const [instance, history] of await metrics.sample()) {
        const window = increaseSince(history, history.at(-1)!.at - cfg.windowMs);
        if (!window) continue;
        for (const [route, counters] of Object.entries(window.routes)) {
          const v = judgeRoute(counters, cfg);
          observations.push({
            subject: `route:${instance}:${route}`,
            instance,
            failing: v.failing,
            alertName: 'RouteTimeout',
            summary: v.failing
              ? `${service.name} instance ${instance} route ${route}: p95 latency ${v.p95Ms} ms over the last ${seconds} s (${v.requests} requests) exceeds ${cfg.p95Ms} ms.`
              : `${service.name} instance ${instance} route ${route}: p95 latency ${v.p95Ms ?? '-'} ms over the last ${seconds} s (${v.requests} requests), within ${cfg.p95Ms} ms.`,
            labels: { route },
          });
        }
      }
      return observations;
    },
  };
};
