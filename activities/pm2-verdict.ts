// PM2's verdict on a start. PM2 judges a start only when the process exits: sooner than min_uptime after it
// started is an unstable restart (a failed start-up, in PM2's own terms), and max_restarts of those make it
// give up (errored). Until then a process that has just been (re)started and does not answer yet may be a
// service still booting or one about to die at start-up, and no look can tell which. Diagnosis therefore
// keeps looking at such an instance, briefly: until it exits (PM2 has then counted the exit, unstable or
// not, before starting it again), answers its health check (it starts), outlives min_uptime (PM2 counts the
// start as stable) or PM2 stops restarting it — whichever comes first, and never past the wait's deadline.
// Pure: the activity supplies the looks and the clock.
import type { Pm2Process } from '../pm2/client';
import type { Evidence, InstanceEvidence } from '../policy/types';

/** PM2's own defaults (lib/God.js handleExit) for a process that sets neither. */
export const PM2_DEFAULT_START_LIMITS = { minUptimeMs: 1000, maxRestarts: 16 } as const;

export interface StartLimits {
  minUptimeMs: number;
  maxRestarts: number;
}

export function startLimitsOf(p: Pick<Pm2Process, 'minUptimeMs' | 'maxRestarts'>): StartLimits {
  return { minUptimeMs: p.minUptimeMs ?? PM2_DEFAULT_START_LIMITS.minUptimeMs, maxRestarts: p.maxRestarts ?? PM2_DEFAULT_START_LIMITS.maxRestarts };
}

/** What diagnosis has seen of one instance so far. */
export interface WatchedSoFar {
  /** PM2 restarts counted since diagnosis' first look. */
  restartsDuringDiagnosis: number;
  /** Whether the latest look's health probe answered ok. */
  answering: boolean;
}

/** Statuses of a process PM2 has started and not yet seen exit: its verdict on this start is still open. */
const STARTING = new Set(['online', 'launching']);

/**
 * Did the incident's alerts report this instance exiting or failing to start? Alerts name their instances
 * together, so this is about the incident, as the catalog's `instance.crash-reported` is.
 */
export function exitReported(alerts: Evidence['alerts'], instance: number): boolean {
  const exitClass = alerts.firing.some((a) => a.class === 'process-crash' || a.class === 'failed-startup');
  return exitClass && alerts.instances.includes(instance);
}

/**
 * Why PM2's verdict on the instance's current start is still to come (in words), or null when there is
 * nothing to wait for. Waiting is only for a process that has just been started after exiting — PM2 counts
 * unstable restarts of it, or the incident's alerts report it exiting — and that does not answer yet.
 */
export function awaitingVerdict(p: Pm2Process, seen: WatchedSoFar, reported: boolean, now: number): string | null {
  // Errored: PM2 gave up. Stopped, stopping, waiting restart: it exited, and PM2 has counted that exit (or
  // it was asked to stop); between an exit and its restart the next look shows the restart.
  if (!STARTING.has(p.status)) return null;
  // PM2 counts an exit (unstable or not) before it starts the process again: a restart seen is a verdict seen.
  if (seen.restartsDuringDiagnosis > 0) return null;
  if (seen.answering) return null;
  const { minUptimeMs } = startLimitsOf(p);
  const upMs = now - p.startedAt;
  // Up for min_uptime already: PM2 counts this start as stable; not answering now is another problem.
  if (upMs >= minUptimeMs) return null;
  if (p.unstableRestarts === 0 && !reported) return null;
  return `started ${(Math.max(0, upMs) / 1000).toFixed(1)} s ago and not answering yet, within PM2's min_uptime of ${(minUptimeMs / 1000).toFixed(1)} s`;
}

/** What ended the wait for one instance, from its last look. */
export function verdictSeen(i: InstanceEvidence): string {
  const last = i.samples[i.samples.length - 1];
  if (!last) return 'gone from PM2';
  if (last.status === 'errored') return 'PM2 gave up on it';
  if (i.restartsDuringDiagnosis > 0) {
    const unstable = i.unstableRestartsDuringDiagnosis ?? 0;
    return unstable > 0 ? `it exited again and PM2 counted ${unstable} unstable restart(s)` : 'it exited again and PM2 did not count it as unstable';
  }
  if (last.health === 'ok') return 'it answered its health check';
  if (!STARTING.has(last.status)) return `PM2 status ${last.status}`;
  return "it outlived PM2's min_uptime";
}
