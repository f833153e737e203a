// Wires one Temporal Worker on the zero-touch task queue: the workflow bundle plus the activities
// bound to this process's PM2 connection and config.
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Config } from '../config/schema';
import type { IncidentMetrics } from '../observability/incident-metrics';
import type { Logger } from '../observability/logger';
import type { Pm2Client } from '../pm2/client';
import type { Ledger } from '../ledger';

export interface IncidentWorkerOptions {
  connection: NativeConnection;
  config: Config;
  pm2: Pm2Client;
  logger: Logger;
  /** A prebuilt bundle (tests reuse one); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Where the activities count incidents, actions, escalations and pages (docs/metrics.md); unset: not counted. */
  metrics?: IncidentMetrics;
  /** The audit ledger every incident report is recorded in; unset, recording waits (retried) until one is. */
  ledger?: Ledger;
}

export function createIncidentWorker(opts: IncidentWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.config.temporal.namespace,
    taskQueue: opts.config.temporal.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({
      config: opts.config,
      pm2: opts.pm2,
      logger: opts.logger,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      ...(opts.ledger ? { ledger: opts.ledger } : {}),
    }),
  });
}
