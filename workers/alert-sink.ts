// Turns the sentinel's alerts into ingested alerts: validated like any webhook's.
import { alertSchema } from '../signals/alert';
import type { Ingest } from '../ingress/ingest';
import type { AlertSink } from '../sentinel/alert-sink';

export function ingestSink(ingest: Ingest): AlertSink {
  return async (alerts) => {
    await ingest.ingest(alerts.map((a) => alertSchema.parse(a)));
  };
}
