// The incident report's user-impact estimate, from the service's own request counters scraped when the
// incident opened and when it ended. The model, kept simple enough to explain in one sentence each:
//   - an instance measured both times by the same process: its own requests and 5xx answers, as rates over
//     the measured interval, extrapolated to the whole incident (first sign → end);
//   - an instance that could not be measured when the incident opened (hung, dead, refusing): every request
//     of its share failed for the whole incident, its share being the measured instances' mean rate;
//   - an instance whose process restarted in between: what its new process recorded (the old one's counters
//     died with it), so that part is a lower bound;
//   - affected users: users = requests ÷ requests per user over the incident; a user is affected when at least
//     one of their k requests failed, 1 − (1 − error ratio)^k of them.
// Pure: the workflow's activities feed it, tests table-drive it.
import type { InstanceTraffic, TrafficSample, UserImpact } from '../signals/incident';

export interface ImpactWindow {
  /** First sign of the fault (ms since epoch) and the end of the incident. */
  fromMs: number;
  toMs: number;
  /** Instances the service is configured with: one missing from both samples lost its whole share too. */
  expectedInstances: number;
  requestsPerUserPerMinute: number;
}

export function estimateUserImpact(first: TrafficSample | null, last: TrafficSample, w: ImpactWindow): UserImpact {
  const durationSeconds = Math.max(0, (w.toMs - w.fromMs) / 1000);
  const intervalSeconds = first ? (last.at - first.at) / 1000 : 0;
  const byInstance = (s: TrafficSample | null) => new Map((s?.instances ?? []).map((i) => [i.instance, i]));
  const before = byInstance(first);
  const after = byInstance(last);
  const instances = new Set([...before.keys(), ...after.keys(), ...Array.from({ length: w.expectedInstances }, (_, i) => i)]);

  const measured: Array<{ rate: number; errorRate: number }> = [];
  const lost: number[] = [];
  const restarted: InstanceTraffic[] = [];
  for (const n of [...instances].sort((a, b) => a - b)) {
    const a = before.get(n);
    const b = after.get(n);
    if (!a?.reachable) lost.push(n);
    else if (b?.reachable && a.startedAt === b.startedAt && intervalSeconds > 0) {
      measured.push({ rate: Math.max(0, b.requests - a.requests) / intervalSeconds, errorRate: Math.max(0, b.errors - a.errors) / intervalSeconds });
    } else if (b?.reachable) restarted.push(b);
    else lost.push(n);
  }

  const meanRate = measured.length ? measured.reduce((s, m) => s + m.rate, 0) / measured.length : 0;
  const measuredTotal = measured.reduce((s, m) => s + m.rate * durationSeconds, 0);
  const measuredFailed = measured.reduce((s, m) => s + m.errorRate * durationSeconds, 0);
  const lostTotal = lost.length * meanRate * durationSeconds;
  const restartedTotal = restarted.reduce((s, r) => s + r.requests, 0);
  const restartedFailed = restarted.reduce((s, r) => s + r.errors, 0);

  const totalRequests = measuredTotal + lostTotal + restartedTotal;
  const failedRequests = measuredFailed + lostTotal + restartedFailed;
  const errorRatio = totalRequests > 0 ? Math.min(1, failedRequests / totalRequests) : 0;
  const perUser = Math.max(1, (w.requestsPerUserPerMinute * durationSeconds) / 60);
  const users = totalRequests / perUser;
  const affectedUsers = Math.round(users * (1 - Math.pow(1 - errorRatio, perUser)));

  const parts: string[] = [];
  if (!first) parts.push('no measurement when the incident opened, so only what the instances recorded since');
  if (measured.length) parts.push(`${measured.length} instance(s) measured over ${intervalSeconds.toFixed(1)} s at ${meanRate.toFixed(1)} requests/s each on average`);
  if (lost.length) {
    parts.push(
      measured.length
        ? `instance ${lost.join(', ')} not answering when the incident opened: its whole share (${Math.round(lostTotal)} requests over ${durationSeconds.toFixed(1)} s) counted as failed`
        : `instance ${lost.join(', ')} not answering and no other instance measured: its traffic is unknown`,
    );
  }
  if (restarted.length) parts.push(`instance ${restarted.map((r) => r.instance).join(', ')} restarted in between: only its new process's ${restartedTotal} requests counted (a lower bound)`);
  if (totalRequests === 0) parts.push('no user traffic seen');
  parts.push(`a user sends ${w.requestsPerUserPerMinute} requests per minute (services[].impact.requestsPerUserPerMinute)`);

  return {
    failedRequests: Math.round(failedRequests),
    totalRequests: Math.round(totalRequests),
    errorRatio: Math.round(errorRatio * 10_000) / 10_000,
    affectedUsers,
    durationSeconds: Math.round(durationSeconds * 10) / 10,
    requestsPerUserPerMinute: w.requestsPerUserPerMinute,
    basis: parts.join('; '),
  };
}
