// The ingress's Prometheus metrics. Each server gets its own Registry (or the one it is given), never
// prom-client's global one: registering the same metric name twice in one registry throws, and tests
// build many servers in one process.
import { collectDefaultMetrics, Counter, Histogram, Registry, type Metric } from 'prom-client';

export interface IngressMetrics {
  registry: Registry;
  alertsReceived: Counter<'source' | 'status'>;
  webhookRejected: Counter<'source' | 'reason'>;
  ingestDuration: Histogram<'source' | 'outcome'>;
  alertsCoalesced: Counter<'source'>;
  alertsDeduplicated: Counter<'source'>;
}

/** Reuses a metric already in the registry, so two servers may share one registry. */
export function registered<T extends Metric>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function createIngressMetrics(registry: Registry = new Registry()): IngressMetrics {
  const registers = [registry];
  // Any one default metric present means collectDefaultMetrics already ran for this registry.
  if (!registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry });
  return {
    registry,
    alertsReceived: registered(
      registry,
      'zt_alerts_received_total',
      () =>
        new Counter({
          name: 'zt_alerts_received_total',
          help: 'Alerts accepted from a webhook and delivered to their incidents, by source and alert status.',
          labelNames: ['source', 'status'] as const,
          registers,
        }),
    ),
    webhookRejected: registered(
      registry,
      'zt_webhook_rejected_total',
      () =>
        new Counter({
          name: 'zt_webhook_rejected_total',
          help: 'Webhook requests refused, by source and error code (nothing from them was ingested).',
          labelNames: ['source', 'reason'] as const,
          registers,
        }),
    ),
    alertsCoalesced: registered(
      registry,
      'zt_alerts_coalesced_total',
      () =>
        new Counter({
          name: 'zt_alerts_coalesced_total',
          help: 'Accepted alerts counted into an identical alert already on its way (storm handling), by source.',
          labelNames: ['source'] as const,
          registers,
        }),
    ),
    alertsDeduplicated: registered(
      registry,
      'zt_alerts_deduplicated_total',
      () =>
        new Counter({
          name: 'zt_alerts_deduplicated_total',
          help: 'Accepted alerts that opened no incident: coalesced into an identical alert on its way, or joined an incident already open, by source.',
          labelNames: ['source'] as const,
          registers,
        }),
    ),
    ingestDuration: registered(
      registry,
      'zt_ingest_duration_seconds',
      () =>
        new Histogram({
          name: 'zt_ingest_duration_seconds',
          help: 'Time from a valid webhook request to its alerts delivered to Temporal or coalesced, by source.',
          labelNames: ['source', 'outcome'] as const,
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers,
        }),
    ),
  };
}

/**
 * Accepted alerts whose coalesced signal later failed. Read from the ingest path at scrape time, since
 * the failure happens after the request was answered. Servers sharing a registry share one ingest path,
 * so the first one registered is the one read.
 */
export function registerUndeliveredMetric(registry: Registry, read: () => number): void {
  if (registry.getSingleMetric('zt_alerts_undelivered_total')) return;
  new Counter({
    name: 'zt_alerts_undelivered_total',
    help: 'Alerts answered 202 whose coalesced delivery to Temporal failed afterwards (each one logged).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
