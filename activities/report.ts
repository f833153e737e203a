// Telling humans (docs/notifications.md): notified, not woken. A self-resolved incident is announced on
// Slack and to webhooks, never paged; an escalation pages PagerDuty (trigger), and the page is resolved
// with the same dedup_key when a human closes the incident. Each notifying activity returns its delivery
// records, so what was sent, where and when is in the workflow history. The ledger plugs in at publishReport.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Context } from '@temporalio/activity';
import type { IncidentReport } from '../signals/incident';
import type { NotifiersConfig } from '../config/notifiers';
import { pagerDutyResolve, pagerDutyTrigger, dedupKeyFor } from '../notify/pagerduty';
import { slackResolvedMessage } from '../notify/slack';
import { webhookEnvelope, webhookHeaders, type WebhookSubject } from '../notify/webhook';
import type { PlannedDelivery } from '../notify/deliver';
import type { LinkContext, NotificationResult, PageContext, PageResolveRequest } from '../notify/types';
import type { ActivityDeps } from './deps';
import { currentRunId, sendNotification } from './notify';

export type { DeliveryRecord, NotificationResult, PageContext, PageResolveRequest } from '../notify/types';

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Pages and notifications as metrics, from what was actually delivered. */
function counted(deps: ActivityDeps, result: NotificationResult): NotificationResult {
  deps.metrics?.recordNotification(result);
  return result;
}

/** One activity across its retries (its run and activity id), so a retried page is counted once. */
function activityKey(): string {
  try {
    const { info } = Context.current();
    return `${info.workflowExecution?.runId ?? ''}/${info.activityId}`;
  } catch {
    return randomUUID(); // called directly, outside an activity
  }
}

function links({ config }: ActivityDeps): LinkContext {
  return { publicUrl: config.notifiers.publicUrl, namespace: config.temporal.namespace };
}

function webhookDeliveries(notifiers: NotifiersConfig, subject: WebhookSubject, link: LinkContext): PlannedDelivery[] {
  return notifiers.webhooks
    .filter((hook) => hook.events.includes(subject.event))
    .map((hook) => {
      const envelope = webhookEnvelope(subject, { ...link, now: new Date() });
      const body = JSON.stringify(envelope);
      return {
        event: subject.event,
        dedupKey: envelope.deliveryId,
        request: { channel: `webhook:${hook.name}` as const, url: hook.url, headers: webhookHeaders(body, envelope, hook), body },
      };
    });
}

/**
 * Escalation: page on-call through PagerDuty (trigger) and webhooks subscribed to `escalated`.
 * It always returns a NotificationResult; the `void` is there only so activity stubs written before it
 * had a result (`async pageHumans() {}`, test/integration/cli-signals.test.ts) still satisfy `Activities`.
 */
export async function pageHumans(deps: ActivityDeps, page: PageContext): Promise<NotificationResult | void> {
  deps.logger.warn({ page }, `PAGE ${page.incidentId} ${page.service}: ${page.reason}`);
  const { notifiers } = deps.config;
  const link = links(deps);
  const withRun: PageContext = { ...page, runId: page.runId ?? currentRunId() };
  const planned: PlannedDelivery[] = [];
  const notSent: string[] = [];
  if (notifiers.pagerduty) {
    const pd = notifiers.pagerduty;
    const event = pagerDutyTrigger(withRun, { ...link, routingKey: pd.routingKey, source: pd.source ?? os.hostname(), now: new Date() });
    planned.push({ event: 'escalated', dedupKey: event.dedup_key, request: { channel: 'pagerduty', url: pd.eventsUrl, headers: JSON_HEADERS, body: JSON.stringify(event) } });
  } else {
    notSent.push('pagerduty: not configured, the page was only logged');
    deps.metrics?.recordLoggedPage(activityKey());
  }
  planned.push(...webhookDeliveries(notifiers, { event: 'escalated', page: withRun }, link));
  return counted(deps, await sendNotification(deps, { event: 'escalated', incidentId: page.incidentId, planned, notSent }));
}

/**
 * A human closed an incident that paged: resolve the PagerDuty alert (same dedup_key as the trigger) and
 * tell webhooks subscribed to `page-resolved`. Resolving an alert PagerDuty no longer has open is harmless.
 */
export async function resolvePage(deps: ActivityDeps, req: PageResolveRequest): Promise<NotificationResult> {
  deps.logger.info({ req }, `PAGE RESOLVED ${req.incidentId} ${req.service} by ${req.operator}${req.reason ? `: ${req.reason}` : ''}`);
  const { notifiers } = deps.config;
  const planned: PlannedDelivery[] = [];
  const notSent: string[] = [];
  if (notifiers.pagerduty) {
    const pd = notifiers.pagerduty;
    const event = pagerDutyResolve(req, { routingKey: pd.routingKey });
    planned.push({ event: 'page-resolved', dedupKey: dedupKeyFor(req.incidentId), request: { channel: 'pagerduty', url: pd.eventsUrl, headers: JSON_HEADERS, body: JSON.stringify(event) } });
  } else {
    notSent.push('pagerduty: not configured');
  }
  const runId = currentRunId();
  planned.push(...webhookDeliveries(notifiers, { event: 'page-resolved', resolution: req, ...(runId ? { runId } : {}) }, links(deps)));
  return counted(deps, await sendNotification(deps, { event: 'page-resolved', incidentId: req.incidentId, planned, notSent }));
}

/**
 * A closed incident, told without waking anyone. Self-resolved (auto-resolved, recovered-without-action):
 * Slack and webhooks subscribed to `resolved`. Resolved by a human: only webhooks subscribed to
 * `human-resolved` (the human already knows; the page, if any, is resolvePage's business).
 */
export async function notifyResolved(deps: ActivityDeps, report: IncidentReport): Promise<NotificationResult> {
  const { notifiers } = deps.config;
  const link = links(deps);
  const selfResolved = report.outcome !== 'resolved-by-human';
  const event = selfResolved ? 'resolved' : 'human-resolved';
  const planned: PlannedDelivery[] = [];
  const notSent: string[] = [];
  if (!selfResolved) {
    notSent.push('slack: only self-resolved incidents are announced there');
  } else if (notifiers.slack) {
    const slack = notifiers.slack;
    const message = slackResolvedMessage(report, { ...link, ...(slack.channel ? { channel: slack.channel } : {}), ...(slack.username ? { username: slack.username } : {}) });
    planned.push({ event, request: { channel: 'slack', url: slack.webhookUrl, headers: JSON_HEADERS, body: JSON.stringify(message) } });
  } else {
    notSent.push('slack: not configured');
  }
  planned.push(...webhookDeliveries(notifiers, { event, report }, link));
  return counted(deps, await sendNotification(deps, { event, incidentId: report.incidentId, planned, notSent }));
}

export async function publishReport({ logger, metrics }: ActivityDeps, report: IncidentReport): Promise<void> {
  // Once per incident: a retried publishReport finds its incident ID already counted.
  metrics?.recordReport(report);
  logger.info(
    { report },
    `incident ${report.incidentId} ${report.service} ${report.class ?? 'unclassified'} → ${report.outcome} in ${report.ttrSeconds.toFixed(1)} s`,
  );
}

