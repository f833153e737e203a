// Turns one scrape of a target's /metrics into per-route counters: requests, 5xx answers and the latency
// histogram. The names are the conventional ones (prom-client's examples, the demo target, most Node HTTP
// middlewares); a service exposing other names is not watched by the routes or deploy detectors.
import { prometheusFloat, type Sample } from '../../probes/prometheus-text';

export const REQUESTS_METRIC = 'http_requests_total';
export const DURATION_METRIC = 'http_request_duration_seconds';
/** prom-client's default metric: when it changes the process restarted and every counter began again. */
export const START_TIME_METRIC = 'process_start_time_seconds';

/** One cumulative histogram bucket: observations `<= le` seconds. */
export interface Bucket {
  le: number;
  count: number;
}

export interface RouteCounters {
  requests: number;
  /** Answers with a 5xx status. */
  errors: number;
  /** Cumulative buckets sorted by `le`, the last one `+Inf`. */
  latency: Bucket[];
}

export interface Snapshot {
  at: number;
  startedAt: number | null;
  routes: Record<string, RouteCounters>;
}

export const emptyCounters = (): RouteCounters => ({ requests: 0, errors: 0, latency: [] });

/** `ignoreRoutes` drops the sentinel's own traffic (its scrapes, its health probes) from what users feel. */
export function toSnapshot(at: number, samples: Sample[], ignoreRoutes: ReadonlySet<string> = new Set()): Snapshot {
  const routes: Record<string, RouteCounters> = {};
  const buckets = new Map<string, Map<number, number>>();
  let startedAt: number | null = null;
  const routeOf = (s: Sample) => {
    const route = s.labels.route;
    return route === undefined || ignoreRoutes.has(route) ? null : route;
  };
  for (const s of samples) {
    if (s.name === START_TIME_METRIC) startedAt = s.value;
    const route = routeOf(s);
    if (route === null) continue;
    if (s.name === REQUESTS_METRIC) {
      const c = (routes[route] ??= emptyCounters());
      c.requests += s.value;
      if (s.labels.status?.startsWith('5')) c.errors += s.value;
    } else if (s.name === `${DURATION_METRIC}_bucket` && s.labels.le !== undefined) {
      // Summed over any other labels (method, status) so each route has one histogram.
      const le = prometheusFloat(s.labels.le);
      if (Number.isNaN(le)) continue;
      const perLe = buckets.get(route) ?? new Map<number, number>();
      perLe.set(le, (perLe.get(le) ?? 0) + s.value);
      buckets.set(route, perLe);
    }
  }
  for (const [route, perLe] of buckets) {
    const c = (routes[route] ??= emptyCounters());
    c.latency = [...perLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  }
  return { at, startedAt, routes };
}
