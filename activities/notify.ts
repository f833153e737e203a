// The Temporal side of notifying: which attempt this is, what earlier attempts already delivered (carried
// in heartbeat details, so a retry re-sends only what is still missing), and errors the workflow's retry
// policy understands: InvalidRequestError when a receiver refused for good, NotificationDeliveryError
// (retryable) while any receiver may still accept.
import { Context } from '@temporalio/activity';
import { deliver, readProgress, type DeliveryProgress, type PlannedDelivery } from '../notify/deliver';
import type { NotificationResult, NotifyEvent } from '../notify/types';
import type { ActivityDeps } from './deps';
import { InvalidRequestError } from './errors';

/** A receiver is down, slow, rate-limiting or unreachable: the activity is retried. */
export class NotificationDeliveryError extends Error {
  override name = 'NotificationDeliveryError';
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called directly, outside an activity: one attempt, nothing carried over
  }
}

/** The run id of the workflow this activity runs for, when it runs as an activity. */
export function currentRunId(): string | undefined {
  const runId = currentContext()?.info.workflowExecution?.runId;
  return runId || undefined;
}

export interface Notification {
  event: NotifyEvent;
  incidentId: string;
  planned: PlannedDelivery[];
  notSent: string[];
}

export async function sendNotification({ config, logger }: ActivityDeps, n: Notification): Promise<NotificationResult> {
  const ctx = currentContext();
  const attempt = ctx?.info.attempt ?? 1;
  const previous = readProgress(ctx?.info.heartbeatDetails);
  const checkpoint = (p: DeliveryProgress) => ctx?.heartbeat(structuredClone(p));
  const { progress, retryable } = await deliver(n.planned, { timeoutMs: config.notifiers.timeoutMs, attempt, previous, onProgress: checkpoint });

  const what = `${n.event} ${n.incidentId}`;
  for (const d of progress.delivered.filter((x) => x.attempt === attempt)) {
    logger.info({ delivery: d }, `notified ${d.channel} of ${what}: HTTP ${d.status}`);
  }
  const delivered = progress.delivered.map((d) => `${d.channel} ${d.status}${d.dedupKey && d.channel === 'pagerduty' ? ` (dedup_key ${d.dedupKey})` : ''}`);
  const parts = [
    delivered.length ? `delivered: ${delivered.join(', ')}` : 'nothing delivered',
    ...(n.notSent.length ? [`not sent: ${n.notSent.join('; ')}`] : []),
  ];

  if (retryable.length || progress.refused.length) {
    checkpoint(progress);
    const failures = [
      ...retryable.map((r) => `will retry ${r.problem}`),
      ...progress.refused.map((r) => `refused for good ${r.problem}`),
    ];
    const message = `${what} (attempt ${attempt}): ${[...failures, ...parts].join('; ')}`;
    logger.warn({ incidentId: n.incidentId, event: n.event, retryable, refused: progress.refused }, `notification incomplete: ${message}`);
    // Any receiver that may still accept wins over one that never will: the retry skips the refused one.
    if (retryable.length) throw new NotificationDeliveryError(message);
    throw new InvalidRequestError(message);
  }
  return {
    event: n.event,
    incidentId: n.incidentId,
    deliveries: progress.delivered,
    notSent: n.notSent,
    summary: `${what}: ${parts.join('; ')}`,
  };
}
