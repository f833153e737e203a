// PM2 already restarts a process that exits (autorestart) and gives up on one that keeps dying right after
// it starts (max_restarts unstable starts: status errored). A restart of ours in the middle of that loop only
// repeats what PM2 is doing, while the cause (a dependency not there yet) is still there — and it resets
// PM2's count, so PM2 never gets to give up. The restart action therefore waits such a loop out: PM2 either
// brings the process up (nothing left to restart) or gives up (then one clean restart, after a pause that
// gives a late dependency a moment more). Bounded: after maxWaitMs it restarts anyway.
import type { Pm2Process } from '../pm2/client';

export interface RetryLoopTiming {
  /** Between looks at PM2. */
  pollMs: number;
  /** A process started this recently, with unstable restarts counted, may be in PM2's retry loop. */
  youngMs: number;
  /** Up this long since PM2's last restart of it: PM2's retry worked. */
  stableMs: number;
  /** After PM2 gave up, before our restart. */
  settleMs: number;
  /** The longest the action waits for PM2. */
  maxWaitMs: number;
}

export const PM2_RETRY_LOOP: RetryLoopTiming = { pollMs: 200, youngMs: 3_000, stableMs: 3_000, settleMs: 1_000, maxWaitMs: 30_000 };

export type RetryLoopVerdict =
  | { kind: 'not-retrying' }
  | { kind: 'gave-up'; waitedMs: number; restarts: number }
  | { kind: 'came-up'; waitedMs: number; restarts: number }
  | { kind: 'still-retrying'; waitedMs: number; restarts: number };

/** PM2 may be restarting it right now: it keeps dying young (unstable restarts) and is not given up on. */
export function mayBeInRetryLoop(p: Pm2Process, now: number, timing: RetryLoopTiming): boolean {
  if (p.status === 'errored' || p.status === 'stopped' || p.status === 'stopping') return false;
  return p.unstableRestarts > 0 && (p.status !== 'online' || now - p.startedAt < timing.youngMs);
}

/**
 * Watches one process until PM2's retry loop ends. `look` reads the process from PM2 (undefined: gone);
 * `alive` is called on every look (the activity's heartbeat).
 */
export async function waitOutPm2Retries(
  look: () => Promise<Pm2Process | undefined>,
  opts: { timing?: RetryLoopTiming; alive?: () => void; now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<RetryLoopVerdict> {
  const timing = opts.timing ?? PM2_RETRY_LOOP;
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let first = await look();
  // Caught between an exit and PM2's relaunch of it (PM2 shows "stopped" for some tens of ms): look again.
  if (first?.status === 'stopped' && first.unstableRestarts > 0 && now() - first.startedAt < timing.youngMs) {
    await sleep(timing.pollMs);
    first = await look();
  }
  if (!first || !mayBeInRetryLoop(first, now(), timing)) return { kind: 'not-retrying' };

  const started = now();
  let lastRestartAt = started;
  let previous = first;
  while (now() - started < timing.maxWaitMs) {
    await sleep(timing.pollMs);
    opts.alive?.();
    const p = await look();
    if (!p) return { kind: 'not-retrying' };
    const prior = previous;
    if (p.restarts !== prior.restarts || p.pid !== prior.pid) lastRestartAt = now();
    previous = p;
    const seen = { waitedMs: now() - started, restarts: p.restarts - first.restarts };
    if (p.status === 'errored') {
      await sleep(timing.settleMs);
      return { kind: 'gave-up', ...seen, waitedMs: now() - started };
    }
    if (p.status === 'online' && now() - Math.max(lastRestartAt, p.startedAt) >= timing.stableMs) return { kind: 'came-up', ...seen };
    // Stopped on purpose (stopping, or stopped in two looks in a row); one "stopped" look in a loop is PM2
    // between an exit and its relaunch, and restarting then would start it twice.
    if (p.status === 'stopping' || (p.status === 'stopped' && prior.status === 'stopped' && p.restarts === prior.restarts)) return { kind: 'not-retrying' };
  }
  return { kind: 'still-retrying', waitedMs: now() - started, restarts: previous.restarts - first.restarts };
}
