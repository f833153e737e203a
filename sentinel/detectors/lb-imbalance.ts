// The load-balancer imbalance rules, pure so each can be proved by a table. See load-balancer.ts for
// what they mean and why; this file only computes them from one backend's `show stat` rows.
import { isDownStatus, isServingStatus, type StatRow } from '../../probes/haproxy-stat';

// Shares are ratios of integers: 16/20 - 1/2 is 0.30000000000000004, and a threshold edge must not
// depend on binary rounding.
const EPSILON = 1e-9;

export interface ImbalanceConfig {
  maxSkew: number;
  minSessions: number;
}

export interface ServerVerdict {
  server: string;
  failing: boolean;
  /** One sentence per broken rule, for the incident summary; empty when the server is fine. */
  reasons: string[];
}

/** Serving = takes new traffic: UP (or unchecked), active (not a backup) and weight > 0 (weight 0 is a drain). */
export function isServing(r: StatRow): boolean {
  return isServingStatus(r.status) && r.bck !== 1 && (r.weight ?? 0) > 0;
}

/**
 * Sessions each server took lately: those started since the previous round (stot delta) when at least
 * `minSessions` started — short requests show there — else those open now (scur), where long-lived
 * connections show. Null when the backend saw too little traffic to judge a share.
 */
export function recentSessions(servers: StatRow[], prevStot: ReadonlyMap<string, number> | null, minSessions: number): Map<string, number> | null {
  if (prevStot) {
    // A counter that went backwards (HAProxy reloaded) restarts from zero.
    const delta = new Map(servers.map((s) => [s.svname, Math.max(0, s.stot - (prevStot.get(s.svname) ?? s.stot))]));
    if (sum(delta.values()) >= Math.max(1, minSessions)) return delta;
  }
  const current = new Map(servers.map((s) => [s.svname, s.scur]));
  return sum(current.values()) >= Math.max(1, minSessions) ? current : null;
}

export function judgeBackend(
  servers: StatRow[],
  sessions: ReadonlyMap<string, number> | null,
  /** svname → whether the app instance behind it answers its health check (absent: not a known instance). */
  instanceHealthy: ReadonlyMap<string, boolean>,
  cfg: ImbalanceConfig,
): ServerVerdict[] {
  const serving = servers.filter(isServing);
  const totalWeight = sum(serving.map((s) => s.weight ?? 0));
  const totalSessions = sessions ? sum(serving.map((s) => sessions.get(s.svname) ?? 0)) : 0;
  return servers.map((s) => {
    const reasons: string[] = [];
    if (serving.length >= 2 && serving.includes(s)) {
      const weightShare = (s.weight ?? 0) / totalWeight;
      // More than an equal share too: with a large maxSkew, evenly weighted servers must not count.
      if (weightShare >= 1 - cfg.maxSkew - EPSILON && weightShare > 1 / serving.length + EPSILON) {
        reasons.push(`${s.svname} holds ${pct(weightShare)} of the backend's weight (${s.weight} of ${totalWeight}) while ${serving.length - 1} other server(s) are up`);
      }
      if (sessions && totalSessions >= Math.max(1, cfg.minSessions)) {
        const sessionShare = (sessions.get(s.svname) ?? 0) / totalSessions;
        if (sessionShare - weightShare > cfg.maxSkew + EPSILON) {
          reasons.push(`${s.svname} took ${pct(sessionShare)} of ${totalSessions} sessions against a ${pct(weightShare)} weight share`);
        }
      }
    }
    if (isDownStatus(s.status) && instanceHealthy.get(s.svname) === true) {
      reasons.push(`${s.svname} is ${s.status} in HAProxy${s.checkStatus ? ` (check ${s.checkStatus})` : ''} while its instance answers its health check`);
    }
    return { server: s.svname, failing: reasons.length > 0, reasons };
  });
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

const pct = (share: number) => `${Math.round(share * 100)}%`;
