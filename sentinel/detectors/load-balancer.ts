// Load-balancer imbalance, read from HAProxy's runtime API (`show stat`) for the configured backend.
// One subject per server (`server:<backend>/<name>`); a server is failing when any of these holds:
//
// 1. Skewed weights — the server is serving and holds at least (1 - maxSkew) of the serving servers'
//    total weight, and more than an equal share, while at least one other server is serving. With the
//    default maxSkew 0.3, two servers weighted 100 and 1 fail; 60/40 does not. The weights alone decide
//    this one: the balancer will follow them whatever the traffic is.
// 2. Skewed sessions — the server's share of the backend's recent sessions exceeds its weight share by
//    more than maxSkew, judged only when at least minSessions sessions were seen. "Recent" is the sessions
//    started since the previous round (stot delta), or, when fewer than minSessions started, the sessions
//    open now (scur): short requests show in the first, long-lived connections in the second. This is
//    what sticky or hash balancing, or a server the balancer misjudges, looks like.
// 3. DOWN while healthy — HAProxy's checks hold the server DOWN while the app instance behind it (matched
//    by the server's address against the service's instance ports) answers its own health check: the
//    capacity is there and the balancer is not using it.
//
// "Serving" means UP (or unchecked), active (backups idle by design) and weight > 0. Servers in DRAIN or
// MAINT, or set to weight 0, were taken out on purpose — by a human or by zero-touch's own drain and
// reroute — and neither count as imbalance nor make the remaining servers look skewed. A server DOWN with
// an unhealthy instance is the health detector's incident, not this one's.
import type { ServiceConfig } from '../../config/schema';
import { instanceHealthUrl } from '../../config/services';
import { HaproxyRuntime } from '../../probes/haproxy';
import { backendServers, isDownStatus, type StatRow } from '../../probes/haproxy-stat';
import { probeHealth } from '../../probes/http-health';
import { DEFAULT_DAMPING, type DetectorFactory, type Observation } from '../detector';
import { dampingOr } from './detector-damping';
import { judgeBackend, recentSessions } from './lb-imbalance';

/** The service instance a server forwards to, when its address is one of the service's instance ports. */
export function instanceOfServer(service: ServiceConfig, row: StatRow): number | null {
  const addr = row.raw.addr;
  if (!addr) return null;
  const at = addr.lastIndexOf(':');
  const host = addr.slice(0, at).replace(/^\[|\]$/g, '');
  const instance = Number(addr.slice(at + 1)) - service.basePort;
  if (!Number.isInteger(instance) || instance < 0 || instance >= service.instances) return null;
  return new URL(instanceHealthUrl(service, instance)).hostname.replace(/^\[|\]$/g, '') === host ? instance : null;
}

export const loadBalancerDetector: DetectorFactory = ({ service, sentinel }) => {
  const cfg = service.detectors.loadBalancer;
  if (!cfg) return null;
  const haproxy = new HaproxyRuntime(cfg.haproxySocket, Math.min(cfg.intervalMs, 5000));
  let prevStot: Map<string, number> | null = null;

  return {
    name: 'load-balancer',
    intervalMs: cfg.intervalMs,
    damping: dampingOr(cfg.damping, DEFAULT_DAMPING),
    async observe(): Promise<Observation[]> {
      const servers = backendServers(await haproxy.showStat(), cfg.backend);
      if (!servers.length) throw new Error(`HAProxy at ${cfg.haproxySocket} has no servers in backend "${cfg.backend}"`);
      const sessions = recentSessions(servers, prevStot, cfg.minSessions);
      prevStot = new Map(servers.map((s) => [s.svname, s.stot]));

      // Probe an instance only when HAProxy holds its server DOWN: the only rule that needs it.
      const instances = new Map(servers.map((s) => [s.svname, instanceOfServer(service, s)]));
      const healthy = new Map<string, boolean>();
      await Promise.all(
        servers
          .filter((s) => isDownStatus(s.status) && instances.get(s.svname) !== null)
          .map(async (s) => {
            const r = await probeHealth(instanceHealthUrl(service, instances.get(s.svname)!), sentinel.probeTimeoutMs);
            healthy.set(s.svname, r.outcome === 'ok');
          }),
      );

      return judgeBackend(servers, sessions, healthy, cfg).map((v) => {
        const instance = instances.get(v.server);
        return {
          subject: `server:${cfg.backend}/${v.server}`,
          failing: v.failing,
          alertName: 'LoadBalancerImbalance',
          summary: v.failing
            ? `${service.name} load balancer imbalance in HAProxy backend ${cfg.backend}: ${v.reasons.join('; ')}.`
            : `${service.name} HAProxy backend ${cfg.backend} server ${v.server} is balanced again.`,
          ...(instance !== null && instance !== undefined ? { instance } : {}),
          labels: { backend: cfg.backend, server: v.server },
        };
      });
    },
  };
};
