// The sentinel's first-hand probes as diagnosis evidence. The sentinel alerted because it saw an instance
// fail several probes in a row; probing it again would make the incident wait out the same timeouts
// (a hung instance: `samples` × probeTimeoutMs) only to learn what is already known. Its probes are taken
// instead while they are fresh and still about the very same process: same pid, same PM2 restart count,
// still online. Anything else — stale, restarted, another process — and diagnosis probes as before.
import type { Pm2Process } from '../pm2/client';
import type { AlertWitness, Evidence, InstanceSample } from '../policy/types';

/** The witnessed samples that may stand for `p` now, or null when diagnosis must look for itself. */
export function trustedWitness(alerts: Evidence['alerts'], p: Pm2Process, now: number, maxAgeMs: number): InstanceSample[] | null {
  if (maxAgeMs <= 0 || p.status !== 'online') return null;
  const w: AlertWitness | undefined = alerts.witnessed?.find((x) => x.instance === p.instance);
  if (!w || w.pid !== p.pid || w.restarts !== p.restarts) return null;
  const newest = Math.max(...w.samples.map((s) => s.at));
  if (now - newest > maxAgeMs || newest > now + maxAgeMs) return null;
  return w.samples.map((s) => ({ ...s, pid: w.pid, restarts: w.restarts, by: 'sentinel' as const }));
}
