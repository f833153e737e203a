// DNS resolution hiccups: resolves each configured name through the configured resolvers (or the
// system's) and fails it when resolution fails in any way — no answer in time, resolver refused or
// unreachable, SERVFAIL, or the name vanished (NXDOMAIN / no address). The summary names which, because
// a timeout wants patience while an NXDOMAIN wants a human to look at the zone. One subject per name.
import type { DetectorsConfig } from '../../config/schema';
import { resolveName, type DnsResult } from '../../probes/dns';
import { DEFAULT_DAMPING, type DetectorFactory, type Observation } from '../detector';
import { dampingOr } from './detector-damping';

type DnsConfig = NonNullable<DetectorsConfig['dns']>;

const WHAT: Record<Exclude<DnsResult['outcome'], 'ok'>, string> = {
  nxdomain: 'does not exist (NXDOMAIN)',
  nodata: 'has no A or AAAA records',
  timeout: 'got no answer in time',
  refused: 'was refused (resolver unreachable or refusing)',
  servfail: 'failed at the resolver (SERVFAIL)',
  error: 'failed',
};

export function describeDns(service: string, name: string, cfg: DnsConfig, r: DnsResult): string {
  const via = cfg.servers?.length ? ` via ${cfg.servers.join(', ')}` : '';
  if (r.outcome === 'ok') return `${service}'s dependency ${name} resolves again${via} (${r.addresses.join(', ')}, ${r.latencyMs} ms).`;
  const why = r.outcome === 'timeout' ? ` within ${cfg.timeoutMs} ms` : r.outcome === 'error' && r.code ? ` (${r.code})` : '';
  return `${service}'s dependency ${name} ${WHAT[r.outcome]}${why}${via}.`;
}

export const dnsDetector: DetectorFactory = ({ service }) => {
  const cfg = service.detectors.dns;
  if (!cfg) return null;
  return {
    name: 'dns',
    intervalMs: cfg.intervalMs,
    damping: dampingOr(cfg.damping, DEFAULT_DAMPING),
    async observe(): Promise<Observation[]> {
      const results = await Promise.all(cfg.names.map((name) => resolveName(name, { servers: cfg.servers, timeoutMs: cfg.timeoutMs })));
      return cfg.names.map((name, i) => {
        const r = results[i]!;
        return {
          subject: `dns:${name}`,
          failing: r.outcome !== 'ok',
          alertName: 'DnsResolutionFailure',
          summary: describeDns(service.name, name, cfg, r),
          labels: { name, outcome: r.outcome, ...(cfg.servers?.length ? { servers: cfg.servers.join(',') } : {}) },
        };
      });
    },
  };
};
