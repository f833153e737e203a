// What users felt: the service's request counters scraped when an incident opens (measureTraffic) and
// again when it ends (estimateUserImpact), turned into failed requests and affected users by the model in
// reporting/user-impact.ts. Every configured instance is scraped, whatever PM2 says of it: one that does
// not answer is exactly the one whose users were failing.
import { findService, instanceHealthUrl } from '../config/services';
import { scrapeMetrics } from '../probes/scrape-metrics';
import { estimateUserImpact } from '../reporting/user-impact';
import { toSnapshot } from '../sentinel/detectors/route-snapshot';
import type { InstanceTraffic, TrafficSample, UserImpact } from '../signals/incident';
import type { ActivityDeps } from './deps';

export interface TrafficRequest {
  service: string;
}

export interface ImpactRequest {
  service: string;
  /** The sample taken when the incident opened; null for incidents that took none. */
  first: TrafficSample | null;
  /** First sign of the fault and the end of the incident (ISO). */
  from: string;
  to: string;
}

export async function measureTraffic({ config, pm2 }: ActivityDeps, req: TrafficRequest): Promise<TrafficSample> {
  const service = findService(config, req.service);
  const running = (await pm2.listApp(service.name)).map((p) => p.instance);
  const instances = [...new Set([...Array.from({ length: service.instances }, (_, i) => i), ...running])].sort((a, b) => a - b);
  const at = Date.now();
  const { metricsPath, scrapeTimeoutMs } = service.impact;
  // The sentinel's own probes and scrapes are not user traffic.
  const notUsers = new Set([metricsPath, new URL(instanceHealthUrl(service, 0)).pathname]);
  const rows = await Promise.all(
    instances.map(async (instance): Promise<InstanceTraffic> => {
      try {
        const scrape = await scrapeMetrics(instanceHealthUrl(service, instance), metricsPath, scrapeTimeoutMs);
        const snapshot = toSnapshot(scrape.at, scrape.samples, notUsers);
        const routes = Object.values(snapshot.routes);
        return {
          instance,
          reachable: true,
          startedAt: snapshot.startedAt,
          requests: routes.reduce((s, r) => s + r.requests, 0),
          errors: routes.reduce((s, r) => s + r.errors, 0),
        };
      } catch (err) {
        return { instance, reachable: false, startedAt: null, requests: 0, errors: 0, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  return { at, instances: rows };
}

export async function estimateUserImpactOf(deps: ActivityDeps, req: ImpactRequest): Promise<UserImpact> {
  const service = findService(deps.config, req.service);
  const last = await measureTraffic(deps, { service: req.service });
  return estimateUserImpact(req.first, last, {
    fromMs: Date.parse(req.from),
    toMs: Date.parse(req.to),
    expectedInstances: service.instances,
    requestsPerUserPerMinute: service.impact.requestsPerUserPerMinute,
  });
}
