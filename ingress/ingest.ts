// The one ingest path for every alert source: webhooks and the sentinel both end here. A firing alert
// starts or joins its incident atomically (signalWithStart on `incident-<key>`), so any number of
// identical alerts arriving at once make one incident; a resolved alert only joins an open one.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../config/schema';
import { findService } from '../config/services';
import { incidentKey } from '../policy/groups';
import type { Alert } from '../signals/alert';
import { alertSignal } from '../signals/contract';
import { workflowIdFor } from '../signals/incident';
import { IncidentPhase, IncidentService } from '../signals/search-attributes';
import type { incidentWorkflow } from '../workflows';

export interface IngestOutcome {
  workflowId: string;
  key: string;
  service: string;
  alert: string;
  status: Alert['status'];
  /** `signalled`: started or joined the incident; `no-open-incident`: a resolved alert with nothing to join. */
  result: 'signalled' | 'no-open-incident';
  runId: string | null;
}

export class Ingest {
  constructor(
    private readonly client: Client,
    private readonly config: Config,
  ) {}

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
      byKey.set(key, [...(byKey.get(key) ?? []), alert]);
    }
    const batches = await Promise.all(
      [...byKey].map(async ([key, batch]) => {
        const out: IngestOutcome[] = [];
        for (const alert of batch) out.push(await this.deliver(key, alert));
        return out;
      }),
    );
    return batches.flat();
  }

  private async deliver(key: string, alert: Alert): Promise<IngestOutcome> {
    const workflowId = workflowIdFor(key);
    const base = { workflowId, key, service: alert.service, alert: alert.name, status: alert.status };
    if (alert.status === 'resolved') {
      try {
        await this.client.workflow.getHandle(workflowId).signal(alertSignal, alert);
        return { ...base, result: 'signalled', runId: null };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { ...base, result: 'no-open-incident', runId: null };
        throw err;
      }
    }
    const handle = await this.client.workflow.signalWithStart<typeof incidentWorkflow, [unknown]>('incidentWorkflow', {
      workflowId,
      taskQueue: this.config.temporal.taskQueue,
      args: [{ key, service: alert.service, alert }],
      signal: alertSignal,
      signalArgs: [alert],
      staticSummary: `${alert.service}: ${alert.name}`,
      staticDetails: `Incident \`${key}\` opened by ${alert.source} alert **${alert.name}**. ${alert.summary}`,
      typedSearchAttributes: [
        { key: IncidentService, value: alert.service },
        { key: IncidentPhase, value: 'diagnosing' },
      ],
    });
    return { ...base, result: 'signalled', runId: handle.signaledRunId };
  }
}
