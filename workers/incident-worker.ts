// Wires the Temporal Workers of one zero-touch worker process: the incidents' task queue (the workflow
// bundle plus the activities bound to this process's PM2 connection and config) and the governor's own
// queue (the same bundle, no activities), so permits are never served behind incidents' workflow tasks.
import { bundleWorkflowCode, Runtime, Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Config } from '../config/schema';
import type { IncidentMetrics } from '../observability/incident-metrics';
import type { Logger } from '../observability/logger';
import type { Pm2Client } from '../pm2/client';
import type { Ledger } from '../ledger';
import { governorTaskQueue } from '../signals/governor';

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

/** Both queues' Workers, run and shut down together. */
export interface IncidentWorker {
  /** Resolves when both have stopped; rejects if either fails. */
  run(): Promise<void>;
  shutdown(): void;
  readonly incidents: Worker;
  readonly governor: Worker;
}

export async function createIncidentWorker(opts: IncidentWorkerOptions): Promise<IncidentWorker> {
  const { namespace, taskQueue } = opts.config.temporal;
  // Bundled once for both Workers, logging where a Worker bundling for itself would: the Temporal runtime's logger.
  const workflowBundle = opts.workflowBundle ?? (await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: Runtime.instance().logger }));
  const incidents = await Worker.create({
    connection: opts.connection,
    namespace,
    taskQueue,
    workflowBundle,
    activities: createActivities({
      config: opts.config,
      pm2: opts.pm2,
      logger: opts.logger,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      ...(opts.ledger ? { ledger: opts.ledger } : {}),
    }),
  });
  // One workflow lives here; its updates come in bursts and each task is short.
  const governor = await Worker.create({ connection: opts.connection, namespace, taskQueue: governorTaskQueue(taskQueue), workflowBundle, maxCachedWorkflows: 10 });
  const shutdown = () => {
    for (const w of [incidents, governor]) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    incidents,
    governor,
    async run() {
      // One failing stops the other: a process that cannot govern must not act, and the reverse is useless.
      const ran = await Promise.allSettled([incidents, governor].map((w) => w.run().finally(shutdown)));
      const failed = ran.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    shutdown,
  };
}
