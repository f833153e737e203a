// Temporary upstream failure: probes each configured upstream (a dependency the service calls, not the
// service itself) and fails it when nothing listens (refused), it does not answer in time (timeout), the
// connection breaks (error), or it answers 5xx. A 4xx is an upstream that is up and judging the request,
// so it is not an outage. One subject per upstream; damping turns a lone failed probe into nothing.
//
// Upstreams each have their own interval and damping, but a detector has one of each: the detector ticks at
// the shortest interval and probes an upstream only when its own interval is due (an upstream left out of
// a round is not counted by the damping), and it damps with the most patient of the configured settings,
// so no upstream alerts sooner than it asked to.
import type { DampingConfig, DetectorsConfig } from '../../config/schema';
import { probeHealth, type ProbeResult } from '../../probes/http-health';
import { DEFAULT_DAMPING, type DetectorFactory, type Observation } from '../detector';

type Upstream = NonNullable<DetectorsConfig['upstreams']>[number];

/** Whether a probe result means the upstream is failing. */
export function upstreamFailing(r: ProbeResult): boolean {
  if (r.outcome === 'ok') return false;
  if (r.outcome === 'unhealthy') return (r.httpStatus ?? 0) >= 500;
  return true;
}

export function describeUpstream(service: string, u: Upstream, r: ProbeResult): string {
  if (!upstreamFailing(r)) return `${service}'s upstream ${u.name} answers again (${r.httpStatus ? `HTTP ${r.httpStatus}, ` : ''}${r.latencyMs} ms).`;
  const what =
    r.outcome === 'refused'
      ? 'refuses connections (nothing listening)'
      : r.outcome === 'timeout'
        ? `did not answer within ${u.timeoutMs} ms`
        : r.outcome === 'unhealthy'
          ? `answers HTTP ${r.httpStatus}`
          : `fails to connect (${r.error ?? 'error'})`;
  return `${service}'s upstream ${u.name} (${u.url}) ${what}.`;
}

/** The most patient damping among the upstreams: the longest window, most failures, longest hold-down. */
export function combinedDamping(upstreams: Upstream[]): DampingConfig {
  const all = upstreams.map((u) => u.damping ?? DEFAULT_DAMPING);
  return {
    samples: Math.max(...all.map((d) => d.samples)),
    failures: Math.max(...all.map((d) => d.failures)),
    holdDownMs: Math.max(...all.map((d) => d.holdDownMs)),
  };
}

export const upstreamDetector: DetectorFactory = ({ service }) => {
  const upstreams = service.detectors.upstreams;
  if (!upstreams?.length) return null;
  const intervalMs = Math.min(...upstreams.map((u) => u.intervalMs));
  const lastProbe = new Map<string, number>();
  return {
    name: 'upstream',
    intervalMs,
    damping: combinedDamping(upstreams),
    async observe(): Promise<Observation[]> {
      const now = Date.now();
      // Half a tick of slack: rounds drift by milliseconds, and a due upstream must not wait a whole tick.
      const due = upstreams.filter((u) => now - (lastProbe.get(u.name) ?? -Infinity) >= u.intervalMs - intervalMs / 2);
      const results = await Promise.all(due.map((u) => probeHealth(u.url, u.timeoutMs)));
      due.forEach((u) => lastProbe.set(u.name, now));
      return due.map((u, i) => {
        const r = results[i]!;
        return {
          subject: `upstream:${u.name}`,
          failing: upstreamFailing(r),
          alertName: 'UpstreamFailure',
          summary: describeUpstream(service.name, u, r),
          labels: { upstream: u.name, url: u.url, outcome: r.outcome, ...(r.httpStatus ? { httpStatus: String(r.httpStatus) } : {}) },
        };
      });
    },
  };
};
