// Telling humans: a page only on escalation, a report line for every incident. The ledger and the
// Slack/PagerDuty notifiers plug in here.
import type { IncidentReport } from '../signals/incident';
import type { PageRequest } from './types';
import type { ActivityDeps } from './deps';

export async function pageHumans({ logger }: ActivityDeps, page: PageRequest): Promise<void> {
  logger.warn({ page }, `PAGE ${page.incidentId} ${page.service}: ${page.reason}`);
}

export async function publishReport({ logger }: ActivityDeps, report: IncidentReport): Promise<void> {
  logger.info(
    { report },
    `incident ${report.incidentId} ${report.service} ${report.class ?? 'unclassified'} → ${report.outcome} in ${report.ttrSeconds.toFixed(1)} s`,
  );
}
