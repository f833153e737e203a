// Where the sentinel's alerts go: the same ingest path as the webhooks.
import type { AlertInput } from '../signals/alert';

export type AlertSink = (alerts: AlertInput[]) => Promise<void>;
