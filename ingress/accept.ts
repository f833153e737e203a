// What every webhook route does once its payload is normalised: refuse the whole request if any
// alert names an unconfigured service, then hand all alerts to the ingest path. A failure to reach
// Temporal becomes a 503 so the sender (Alertmanager) retries; a retried alert joins the same open
// incident, so delivering part of a batch twice is harmless.
import { UnknownServiceError } from '../config/services';
import type { Logger } from '../observability/logger';
import type { Alert } from '../signals/alert';
import { IngressError } from './errors';
import type { Ingest, IngestOutcome } from './ingest';
import type { IngressMetrics } from './metrics';

/** What the routes need; `flush` and `undeliveredAlerts` are used when the ingest path has them. */
export type IngestPort = Pick<Ingest, 'ingest' | 'assertKnownServices'> & Partial<Pick<Ingest, 'flush' | 'undeliveredAlerts'>>;

export interface AcceptDeps {
  ingest: IngestPort;
  metrics: IngressMetrics;
  logger: Logger;
}

export interface AcceptedAlerts {
  accepted: number;
  incidents: IngestOutcome[];
}

/** One message per distinct unknown service, each listing the configured ones. */
function unknownServiceMessages(ingest: IngestPort, alerts: Alert[]): string[] {
  const messages = new Map<string, string>();
  for (const alert of alerts) {
    if (messages.has(alert.service)) continue;
    try {
      ingest.assertKnownServices([alert]);
    } catch (err) {
      if (!(err instanceof UnknownServiceError)) throw err;
      messages.set(alert.service, err.message);
    }
  }
  return [...messages.values()];
}

export async function acceptAlerts(deps: AcceptDeps, source: Alert['source'], alerts: Alert[]): Promise<AcceptedAlerts> {
  const unknown = unknownServiceMessages(deps.ingest, alerts);
  if (unknown.length) throw new IngressError(400, 'unknown_service', unknown.join('; '));

  const stopTimer = deps.metrics.ingestDuration.startTimer({ source });
  let incidents: IngestOutcome[];
  try {
    incidents = await deps.ingest.ingest(alerts);
  } catch (err) {
    stopTimer({ outcome: 'error' });
    deps.logger.error({ err, source, alerts: alerts.length }, 'ingest failed; answering 503 so the sender retries');
    const message = `alerts could not be delivered to Temporal: ${(err as Error).message}`;
    throw new IngressError(503, 'unavailable', message, undefined, {}, { cause: err });
  }
  stopTimer({ outcome: 'ok' });
  for (const alert of alerts) deps.metrics.alertsReceived.inc({ source, status: alert.status });
  const coalesced = incidents.filter((outcome) => outcome.result === 'coalesced').length;
  if (coalesced) deps.metrics.alertsCoalesced.inc({ source }, coalesced);
  return { accepted: alerts.length, incidents };
}
