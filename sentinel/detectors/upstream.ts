// Temporary upstream failure: an upstream (a dependency the service calls, not the service itself) is
// judged by two kinds of evidence, either enough on its own:
// - a probe of its `url`, when configured: it fails when nothing listens (refused), it does not answer in
//   time (timeout), the connection breaks (error), or it answers 5xx. A 4xx is an upstream that is up and
//   judging the request, so it is not an outage;
// - the service's own error log lines naming it (sentinel/detectors/upstream-errors.ts): `errorsToAlert`
//   of them within `errorWindowMs`, from the service's PM2 processes only.
// One subject per upstream; damping turns a lone failed probe into nothing, and a lone error line never
// reaches the threshold.
//
// Upstreams each have their own interval and damping, but a detector has one of each: the detector ticks at
// the shortest interval and looks at an upstream only when its own interval is due (an upstream left out of
// a round is not counted by the damping), and it damps with the most patient of the configured settings,
// so no upstream alerts sooner than it asked to.
import type { DampingConfig, DetectorsConfig } from '../../config/schema';
import { probeHealth, type ProbeResult } from '../../probes/http-health';
import { DEFAULT_DAMPING, type DetectorFactory, type Observation } from '../detector';
import { ServiceErrorLog } from './service-error-log';
import { errorPatterns, quoteLine, UpstreamErrorWindow } from './upstream-errors';

type Upstream = NonNullable<DetectorsConfig['upstreams']>[number];

/** What the service's error log said about one upstream at the time of a look. */
export interface UpstreamErrors {
  count: number;
  latest: string | null;
}

export type UpstreamEvidence = 'probe' | 'errors' | 'probe+errors';

/** Whether a probe result means the upstream is failing. */
export function upstreamFailing(r: ProbeResult): boolean {
  if (r.outcome === 'ok') return false;
  if (r.outcome === 'unhealthy') return (r.httpStatus ?? 0) >= 500;
  return true;
}

export function describeUpstream(service: string, u: Pick<Upstream, 'name' | 'timeoutMs'> & { url: string }, r: ProbeResult): string {
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
export function combinedDamping(upstreams: Array<Pick<Upstream, 'name' | 'damping'>>): DampingConfig {
  const all = upstreams.map((u) => u.damping ?? DEFAULT_DAMPING);
  return {
    samples: Math.max(...all.map((d) => d.samples)),
    failures: Math.max(...all.map((d) => d.failures)),
    holdDownMs: Math.max(...all.map((d) => d.holdDownMs)),
  };
}

function describeErrors(service: string, u: Pick<Upstream, 'name' | 'errorsToAlert' | 'errorWindowMs'>, e: UpstreamErrors): string {
  const window = `in the last ${Math.round(u.errorWindowMs / 1000)} s`;
  const lines = `${e.count} error line${e.count === 1 ? '' : 's'} naming its upstream ${u.name} ${window}`;
  if (e.count < u.errorsToAlert) return `${service} logged ${lines} (alerts at ${u.errorsToAlert}).`;
  return `${service} logged ${lines}; latest: "${quoteLine(e.latest ?? '')}"`;
}

/**
 * One upstream's observation from whatever evidence this look has: a probe result (null when it has no
 * URL) and what the error log said (null when the log cannot be followed).
 */
export function judgeUpstream(service: string, u: Upstream, probe: ProbeResult | null, errors: UpstreamErrors | null): Observation {
  const probeFailing = probe !== null && upstreamFailing(probe);
  const errorsFailing = errors !== null && errors.count >= u.errorsToAlert;
  const evidence: UpstreamEvidence | null = probeFailing && errorsFailing ? 'probe+errors' : probeFailing ? 'probe' : errorsFailing ? 'errors' : null;
  const parts: string[] = [];
  if (probe && u.url && (probeFailing || !errorsFailing)) parts.push(describeUpstream(service, { ...u, url: u.url }, probe));
  if (errors && (errorsFailing || errors.count > 0 || !probe)) parts.push(describeErrors(service, u, errors));
  return {
    subject: `upstream:${u.name}`,
    failing: evidence !== null,
    alertName: 'UpstreamFailure',
    summary: parts.join(' '),
    labels: {
      upstream: u.name,
      ...(u.url ? { url: u.url } : {}),
      ...(probe ? { outcome: probe.outcome, ...(probe.httpStatus ? { httpStatus: String(probe.httpStatus) } : {}) } : {}),
      ...(errors ? { errorLines: String(errors.count) } : {}),
      ...(evidence ? { evidence } : {}),
    },
  };
}

export const upstreamDetector: DetectorFactory = ({ service, pm2, logger }) => {
  const upstreams = service.detectors.upstreams;
  if (!upstreams?.length) return null;
  const intervalMs = Math.min(...upstreams.map((u) => u.intervalMs));
  const lastLook = new Map<string, number>();
  const windows = new Map(upstreams.map((u) => [u.name, new UpstreamErrorWindow(errorPatterns(u), u.errorWindowMs)]));
  const errorLog = new ServiceErrorLog(pm2, service.name, (line, at) => {
    for (const w of windows.values()) w.offer(line, at);
  });
  let blind = false;

  /** Whether the error log is being followed; while it cannot be, upstreams are judged by their probes alone. */
  async function following(): Promise<boolean> {
    try {
      const ok = await errorLog.follow();
      if (blind) logger.info({ service: service.name, detector: 'upstream' }, 'following the error log again');
      blind = false;
      return ok;
    } catch (err) {
      if (!blind) logger.warn({ err, service: service.name, detector: 'upstream' }, 'cannot follow the error log; upstreams with a url are judged by probes alone');
      blind = true;
      return false;
    }
  }

  return {
    name: 'upstream',
    intervalMs,
    damping: combinedDamping(upstreams),
    async observe(): Promise<Observation[]> {
      const withErrors = await following();
      const now = Date.now();
      // Half a tick of slack: rounds drift by milliseconds, and a due upstream must not wait a whole tick.
      // An upstream with no evidence to look at this round is left out rather than reported healthy.
      const due = upstreams.filter((u) => (u.url || withErrors) && now - (lastLook.get(u.name) ?? -Infinity) >= u.intervalMs - intervalMs / 2);
      const probes = await Promise.all(due.map((u) => (u.url ? probeHealth(u.url, u.timeoutMs) : null)));
      const at = Date.now();
      due.forEach((u) => lastLook.set(u.name, now));
      return due.map((u, i) => {
        const w = windows.get(u.name)!;
        const errors = withErrors ? { count: w.count(at), latest: w.latest(at)?.line ?? null } : null;
        return judgeUpstream(service.name, u, probes[i] ?? null, errors);
      });
    },
    stop: () => errorLog.stop(),
  };
};
