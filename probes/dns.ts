// One DNS resolution that names how it failed: the name does not exist (nxdomain: a config or zone
// problem, not a hiccup to wait out), the resolver did not answer in time (timeout), nobody listens
// where the resolver should be (refused), or the resolver answered that it could not resolve (servfail).
// A Resolver of its own per call, so configured servers never leak into the process-wide resolver.
import { Resolver } from 'node:dns/promises';

export type DnsOutcome = 'ok' | 'nxdomain' | 'nodata' | 'timeout' | 'refused' | 'servfail' | 'error';

export interface DnsResult {
  outcome: DnsOutcome;
  addresses: string[];
  latencyMs: number;
  /** The c-ares code behind a failure, e.g. ESERVFAIL. */
  code?: string;
}

export interface ResolveOptions {
  /** host or host:port ("127.0.0.1:5353", "[::1]:53"); unset → the system's resolvers. */
  servers?: string[];
  timeoutMs: number;
}

const OUTCOMES: Record<string, DnsOutcome> = {
  ENOTFOUND: 'nxdomain',
  ENODATA: 'nodata',
  ETIMEOUT: 'timeout',
  ECANCELLED: 'timeout',
  ECONNREFUSED: 'refused',
  EREFUSED: 'refused',
  ESERVFAIL: 'servfail',
};

export async function resolveName(name: string, opts: ResolveOptions): Promise<DnsResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  // One try: a retry inside c-ares would hide exactly the hiccup this probe exists to see.
  const resolver = new Resolver({ timeout: opts.timeoutMs, tries: 1 });
  if (opts.servers?.length) resolver.setServers(opts.servers);
  // c-ares' timeout is per query attempt; this deadline bounds the whole call, A and AAAA together.
  const timer = setTimeout(() => resolver.cancel(), opts.timeoutMs);
  try {
    const addresses = await resolveAny(resolver);
    return { outcome: 'ok', addresses, latencyMs: elapsed() };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    return { outcome: OUTCOMES[code] ?? 'error', addresses: [], latencyMs: elapsed(), code };
  } finally {
    clearTimeout(timer);
  }

  // A name with only AAAA records resolves; "no A record" alone is not a failure.
  async function resolveAny(r: Resolver): Promise<string[]> {
    try {
      return await r.resolve4(name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENODATA') throw err;
      return await r.resolve6(name);
    }
  }
}
