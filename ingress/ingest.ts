// The one ingest path for every alert source: webhooks and the sentinel both end here. A firing alert
// starts or joins its incident atomically (signalWithStart on `incident-<key>`), so any number of
// identical alerts arriving at once make one incident; a resolved alert only joins an open one.
// Storms are coalesced (ingress/coalescer.ts): duplicates within `http.coalesceMs` become one signal
// with a count, so an incident's alert count stays exact without a Temporal signal per alert; while an
// incident is known open, duplicates are answered at once without waiting for Temporal (see the
// coalescer for what that trades away).
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../config/schema';
import { findService } from '../config/services';
import { createLogger, type Logger } from '../observability/logger';
import { incidentKey } from '../policy/groups';
import type { Alert } from '../signals/alert';
import { alertSignal } from '../signals/contract';
import { workflowIdFor } from '../signals/incident';
import { IncidentPhase, IncidentService } from '../signals/search-attributes';
import type { incidentWorkflow } from '../workflows';
import { StormCoalescer, type Delivery, type IncidentTarget } from './coalescer';
import type { IngressMetrics } from './metrics';

/** Incidents whose run this process has seen (a bounded memory: enough to tell a join from a start). */
const OPEN_RUNS_KEPT = 10_000;

export interface IngestOutcome {
  workflowId: string;
  key: string;
  service: string;
  alert: string;
  status: Alert['status'];
  /**
   * `signalled`: started or joined the incident; `no-open-incident`: a resolved alert with nothing to
   * join; `coalesced`: an identical alert is already on its way, this one is counted into it.
   */
  result: 'signalled' | 'no-open-incident' | 'coalesced';
  runId: string | null;
}

export class Ingest {
  private readonly coalescer: StormCoalescer;
  /** The run each incident's last firing delivery reached: the same run again means the alert joined it. */
  private readonly openRuns = new Map<string, string>();

  constructor(
    private readonly client: Client,
    private readonly config: Config,
    logger: Logger = createLogger('ingest'),
    /** Counts alerts that opened no incident (zt_alerts_deduplicated_total), every source, the sentinel's too. */
    private readonly metrics?: Pick<IngressMetrics, 'alertsDeduplicated'>,
  ) {
    this.coalescer = new StormCoalescer({
      windowMs: config.http.coalesceMs,
      deliver: (target, alert) => this.deliver(target, alert),
      logger,
    });
  }

  /** Alerts answered 202 whose coalesced signal later failed (each failure is logged). */
  get undeliveredAlerts(): number {
    return this.coalescer.undeliveredAlerts;
  }

  /** Throws UnknownServiceError before touching Temporal if any alert names an unconfigured service. */
  assertKnownServices(alerts: Alert[]): void {
    for (const alert of alerts) findService(this.config, alert.service);
  }

  async ingest(alerts: Alert[]): Promise<IngestOutcome[]> {
    this.assertKnownServices(alerts);
    // Alerts for one key go in order; different keys proceed in parallel.
    const byKey = new Map<string, Alert[]>();
    for (const alert of alerts) {
      const key = incidentKey(alert.service, alert.name, alert.labels);
      const batch = byKey.get(key);
      if (batch) batch.push(alert);
      else byKey.set(key, [alert]);
    }
    const batches = await Promise.all(
      [...byKey].map(async ([key, batch]) => {
        const workflowId = workflowIdFor(key);
        const out: IngestOutcome[] = [];
        for (const alert of batch) {
          const { result, runId } = await this.coalescer.submit({ workflowId, key }, alert);
          this.countDuplicate(workflowId, alert, result, runId);
          out.push({ workflowId, key, service: alert.service, alert: alert.name, status: alert.status, result, runId });
        }
        return out;
      }),
    );
    return batches.flat();
  }

  /** Sends every alert still being counted, and waits until they are delivered or logged as failed. */
  flush(): Promise<void> {
    return this.coalescer.flush();
  }

  /** For shutdown: stop coalescing, then flush, so no accepted alert is left behind in a timer. */
  close(): Promise<void> {
    return this.coalescer.close();
  }

  /**
   * A coalesced alert is a duplicate by definition (the fast path's too: its incident is known open). A
   * firing alert that signalWithStart delivered to a run this process already delivered to joined an open
   * incident. Seen from one process: a join first seen by another ingress replica counts there.
   */
  private countDuplicate(workflowId: string, alert: Alert, result: IngestOutcome['result'], runId: string | null): void {
    if (!this.metrics) return;
    if (result === 'coalesced') {
      this.metrics.alertsDeduplicated.inc({ source: alert.source });
      return;
    }
    if (result !== 'signalled' || alert.status !== 'firing' || !runId) return;
    if (this.openRuns.get(workflowId) === runId) {
      this.metrics.alertsDeduplicated.inc({ source: alert.source });
      return;
    }
    this.openRuns.delete(workflowId);
    this.openRuns.set(workflowId, runId);
    if (this.openRuns.size > OPEN_RUNS_KEPT) this.openRuns.delete(this.openRuns.keys().next().value as string);
  }

  private async deliver({ workflowId, key }: IncidentTarget, alert: Alert): Promise<Delivery> {
    if (alert.status === 'resolved') {
      try {
        await this.client.workflow.getHandle(workflowId).signal(alertSignal, alert);
        return { result: 'signalled', runId: null };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { result: 'no-open-incident', runId: null };
        throw err;
      }
    }
    const handle = await this.client.workflow.signalWithStart<typeof incidentWorkflow, [unknown]>('incidentWorkflow', {
      workflowId,
      taskQueue: this.config.temporal.taskQueue,
      args: [
        {
          key,
          service: alert.service,
          alert,
          webUiUrl: this.config.notifiers.publicUrl,
          ...(this.config.operators.length ? { operators: this.config.operators } : {}),
        },
      ],
      signal: alertSignal,
      signalArgs: [alert],
      staticSummary: `${alert.service}: ${alert.name}`,
      staticDetails: `Incident \`${key}\` opened by ${alert.source} alert **${alert.name}**. ${alert.summary}`,
      typedSearchAttributes: [
        { key: IncidentService, value: alert.service },
        { key: IncidentPhase, value: 'diagnosing' },
      ],
    });
    return { result: 'signalled', runId: handle.signaledRunId };
  }
}
