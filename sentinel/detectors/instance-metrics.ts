// Keeps, per instance, the recent /metrics snapshots a windowed detector compares. Only instances PM2
// reports online are scraped: a dead or hung one is the crash and deadlock detectors' business, and its
// failed scrape skips that instance for the round instead of failing the whole detector.
import type { ServiceConfig } from '../../config/schema';
import { instanceHealthUrl } from '../../config/services';
import type { Logger } from '../../observability/logger';
import type { Pm2Client } from '../../pm2/client';
import { scrapeMetrics } from '../../probes/scrape-metrics';
import { toSnapshot, type Snapshot } from './route-snapshot';
import { prune } from './window-rates';

export interface InstanceMetricsOptions {
  service: ServiceConfig;
  pm2: Pm2Client;
  metricsPath: string;
  timeoutMs: number;
  /** How far back the detector looks; older snapshots are dropped. */
  keepMs: number;
  logger: Logger;
}

export class InstanceMetrics {
  private readonly histories = new Map<number, Snapshot[]>();
  private readonly ignoreRoutes: ReadonlySet<string>;

  constructor(private readonly opts: InstanceMetricsOptions) {
    // The sentinel's own scrapes and health probes are not user traffic.
    this.ignoreRoutes = new Set([opts.metricsPath, new URL(instanceHealthUrl(opts.service, 0)).pathname]);
  }

  /** Scrapes every online instance once; returns the histories of those that answered, oldest first. */
  async sample(): Promise<Map<number, Snapshot[]>> {
    const { service, pm2, metricsPath, timeoutMs, keepMs, logger } = this.opts;
    const online = (await pm2.listApp(service.name)).filter((p) => p.status === 'online').map((p) => p.instance);
    const scrapes = await Promise.allSettled(
      online.map((i) => scrapeMetrics(new URL(instanceHealthUrl(service, i)).origin, metricsPath, timeoutMs)),
    );
    const answered = new Map<number, Snapshot[]>();
    scrapes.forEach((result, k) => {
      const instance = online[k]!;
      if (result.status === 'rejected') {
        logger.debug({ err: result.reason, service: service.name, instance }, 'metrics scrape failed');
        return;
      }
      const history = prune([...(this.histories.get(instance) ?? []), toSnapshot(result.value.at, result.value.samples, this.ignoreRoutes)], keepMs);
      this.histories.set(instance, history);
      answered.set(instance, history);
    });
    // Instances PM2 no longer lists are gone (scaled down); forget them.
    for (const instance of this.histories.keys()) if (!online.includes(instance)) this.histories.delete(instance);
    return answered;
  }
}
