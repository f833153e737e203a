// Window math over successive snapshots of one instance: how many requests, errors and which latencies a
// route saw between two moments, the way Prometheus' increase() and histogram_quantile() read counters. A
// counter that went down (or a new process start time) means the process restarted and began from zero,
// so that step counts the new value whole instead of a negative or lost delta.
import { emptyCounters, type Bucket, type RouteCounters, type Snapshot } from './route-snapshot';

const counterDelta = (prev: number, cur: number): number => (cur >= prev ? cur - prev : cur);

function bucketDelta(prev: Bucket[], cur: Bucket[]): Bucket[] {
  const before = new Map(prev.map((b) => [b.le, b.count]));
  // Any bucket going down is a reset of the whole histogram: its buckets are written together.
  const reset = cur.some((b) => b.count < (before.get(b.le) ?? 0));
  return cur.map((b) => ({ le: b.le, count: reset ? b.count : b.count - (before.get(b.le) ?? 0) }));
}

/** What each route added between two successive snapshots. */
export function stepIncrease(prev: Snapshot, cur: Snapshot): Record<string, RouteCounters> {
  const restarted = prev.startedAt !== null && cur.startedAt !== null && prev.startedAt !== cur.startedAt;
  const out: Record<string, RouteCounters> = {};
  for (const [route, c] of Object.entries(cur.routes)) {
    const p = restarted ? emptyCounters() : (prev.routes[route] ?? emptyCounters());
    out[route] = {
      requests: counterDelta(p.requests, c.requests),
      errors: counterDelta(p.errors, c.errors),
      latency: bucketDelta(p.latency, c.latency),
    };
  }
  return out;
}

export function addCounters(a: RouteCounters, b: RouteCounters): RouteCounters {
  const perLe = new Map(a.latency.map((x) => [x.le, x.count]));
  for (const x of b.latency) perLe.set(x.le, (perLe.get(x.le) ?? 0) + x.count);
  return {
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    latency: [...perLe].map(([le, count]) => ({ le, count })).sort((x, y) => x.le - y.le),
  };
}

export function mergeRoutes(into: Record<string, RouteCounters>, add: Record<string, RouteCounters>): Record<string, RouteCounters> {
  for (const [route, c] of Object.entries(add)) into[route] = addCounters(into[route] ?? emptyCounters(), c);
  return into;
}

export interface WindowIncrease {
  /** The snapshots actually spanned; shorter than asked when history does not reach back far enough. */
  from: number;
  to: number;
  routes: Record<string, RouteCounters>;
}

/**
 * The increase from the last snapshot at or before `since` (or the oldest one, when history starts later)
 * to the newest. `history` is in time order; null when it has fewer than two snapshots to compare.
 */
export function increaseSince(history: readonly Snapshot[], since: number): WindowIncrease | null {
  if (history.length < 2) return null;
  let start = 0;
  for (let i = 0; i < history.length; i++) if (history[i]!.at <= since) start = i;
  if (start >= history.length - 1) return null;
  const routes: Record<string, RouteCounters> = {};
  for (let i = start + 1; i < history.length; i++) mergeRoutes(routes, stepIncrease(history[i - 1]!, history[i]!));
  return { from: history[start]!.at, to: history[history.length - 1]!.at, routes };
}

/**
 * The q-quantile in seconds from cumulative buckets, as histogram_quantile() estimates it: linear within
 * the bucket holding the rank; in the +Inf bucket, the highest finite bound (all that is known). Null
 * with no observations.
 */
export function quantile(q: number, buckets: readonly Bucket[]): number | null {
  const total = buckets.at(-1)?.count ?? 0;
  if (buckets.length === 0 || total <= 0) return null;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lowerLe;
      const inBucket = b.count - lowerCount;
      return inBucket <= 0 ? b.le : lowerLe + (b.le - lowerLe) * ((rank - lowerCount) / inBucket);
    }
    lowerLe = b.le;
    lowerCount = b.count;
  }
  return lowerLe;
}

/** Drops snapshots no longer needed to look back `keepMs` from the newest, keeping one at or before it. */
export function prune(history: Snapshot[], keepMs: number): Snapshot[] {
  const newest = history.at(-1);
  if (!newest) return history;
  const cutoff = newest.at - keepMs;
  let first = 0;
  for (let i = 0; i < history.length; i++) if (history[i]!.at <= cutoff) first = i;
  return history.slice(first);
}
