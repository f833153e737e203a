// What every activity may use: the validated config, one PM2 connection, the logger and the audit ledger.
import type { Config } from '../config/schema';
import type { Ledger } from '../ledger/ledger';
import type { IncidentMetrics } from '../observability/incident-metrics';
import type { Logger } from '../observability/logger';
import type { Pm2Client } from '../pm2/client';

export interface ActivityDeps {
  config: Config;
  pm2: Pm2Client;
  logger: Logger;
  /** The audit ledger (ledger/open.ts); unset in tests and tools that record nothing. */
  ledger?: Ledger;
  /** Incident, action, escalation and notification metrics (docs/metrics.md); unset: nothing counted. */
  metrics?: IncidentMetrics;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
