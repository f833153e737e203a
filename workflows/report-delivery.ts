// reportDeliveryWorkflow: gets a closed incident's report out — the page resolved (same dedup key), the
// channels notified, the report appended to the audit ledger — as a child workflow the incident abandons
// when it closes. The incident ends at once, so a new alert for the same service opens a new incident
// instead of joining one that is only waiting for a database or a chat service to come back; meanwhile
// delivery is retried durably, for as long as it takes: no report is ever lost.
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { IncidentReport } from '../signals/incident';

export interface ReportDeliveryInput {
  report: IncidentReport;
  /** A page went out for this incident, so its end resolves it. */
  paged: boolean;
}

export interface ReportDeliveryResult {
  incidentId: string;
  /** What each channel step said, or why it could not deliver. */
  notifications: string[];
  ledger: { seq: number; hash: string };
}

const terminal = ['UnknownServiceError', 'InvalidRequestError'];
// Until it is out: the ledger or a receiver may be down for a long time.
const deliver = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: terminal },
});

export async function reportDeliveryWorkflow({ report, paged }: ReportDeliveryInput): Promise<ReportDeliveryResult> {
  const notifications: string[] = [];
  // A receiver that refuses for good (a revoked URL) is recorded and never keeps the report from the ledger.
  const attempt = async (step: () => Promise<{ summary: string }>) => {
    try {
      notifications.push((await step()).summary);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      notifications.push(`not delivered: ${err.cause?.message ?? err.message}`);
    }
  };
  if (paged) {
    const by = report.resolution?.operator ?? 'zero-touch';
    await attempt(() =>
      deliver.resolvePage.executeWithOptions({ summary: `Resolve the page for ${report.incidentId}: ${report.outcome} (${by})` }, [
        { incidentId: report.incidentId, workflowId: report.workflowId, service: report.service, operator: by, reason: report.outcome },
      ]),
    );
  }
  await attempt(() => deliver.notifyResolved.executeWithOptions({ summary: `Notify ${report.service}'s channels: ${report.incidentId} ${report.outcome}` }, [report]));
  const row = await deliver.recordInLedger.executeWithOptions({ summary: `Record ${report.incidentId} in the audit ledger` }, [
    { kind: 'incident-report', key: report.incidentId, body: { ...report } },
  ]);
  return { incidentId: report.incidentId, notifications, ledger: { seq: row.seq, hash: row.hash } };
}
