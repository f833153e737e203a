// The generic webhook: one JSON envelope for every event, optionally signed so the receiver can trust it.
import { createHmac } from 'node:crypto';
import type { IncidentReport } from '../signals/incident';
import { workflowUiUrl } from './links';
import type { LinkContext, NotifyEvent, PageContext, PageResolveRequest } from './types';

export const SIGNATURE_HEADER = 'X-ZeroTouch-Signature';
export const EVENT_HEADER = 'X-ZeroTouch-Event';
export const DELIVERY_HEADER = 'X-ZeroTouch-Delivery';

interface EnvelopeBase {
  /** Bumped only on an incompatible change of the envelope. */
  version: 1;
  incidentId: string;
  workflowId: string;
  runId: string | null;
  service: string;
  /** When this request was built; a retry carries a later one (use `deliveryId` to de-duplicate). */
  sentAt: string;
  /** `<incidentId>:<event>`, the same on every retry: at most one effect per delivery id. */
  deliveryId: string;
  link: string;
}

export type WebhookEnvelope =
  | (EnvelopeBase & { event: 'resolved' | 'human-resolved'; report: IncidentReport })
  | (EnvelopeBase & { event: 'escalated'; page: PageContext })
  | (EnvelopeBase & { event: 'page-resolved'; resolution: { operator: string; reason: string | null } });

export type WebhookSubject =
  | { event: 'resolved' | 'human-resolved'; report: IncidentReport }
  | { event: 'escalated'; page: PageContext }
  | { event: 'page-resolved'; resolution: PageResolveRequest; runId?: string };

export function deliveryIdFor(incidentId: string, event: NotifyEvent): string {
  return `${incidentId}:${event}`;
}

export function webhookEnvelope(subject: WebhookSubject, opts: LinkContext & { now: Date }): WebhookEnvelope {
  const ids = idsOf(subject);
  const base: EnvelopeBase = {
    version: 1,
    ...ids,
    sentAt: opts.now.toISOString(),
    deliveryId: deliveryIdFor(ids.incidentId, subject.event),
    link: workflowUiUrl(opts, ids.workflowId, ids.runId ?? undefined),
  };
  switch (subject.event) {
    case 'resolved':
    case 'human-resolved':
      return { event: subject.event, ...base, report: subject.report };
    case 'escalated':
      return { event: subject.event, ...base, page: subject.page };
    case 'page-resolved':
      return { event: subject.event, ...base, resolution: { operator: subject.resolution.operator, reason: subject.resolution.reason ?? null } };
  }
}

function idsOf(subject: WebhookSubject): Pick<EnvelopeBase, 'incidentId' | 'workflowId' | 'runId' | 'service'> {
  switch (subject.event) {
    case 'resolved':
    case 'human-resolved': {
      const r = subject.report;
      return { incidentId: r.incidentId, workflowId: r.workflowId, runId: r.runId, service: r.service };
    }
    case 'escalated': {
      const p = subject.page;
      return { incidentId: p.incidentId, workflowId: p.workflowId, runId: p.runId ?? null, service: p.service };
    }
    case 'page-resolved': {
      const r = subject.resolution;
      return { incidentId: r.incidentId, workflowId: r.workflowId, runId: subject.runId ?? null, service: r.service };
    }
  }
}

/** `sha256=<hex>`: HMAC-SHA256 of the exact bytes sent, keyed with the webhook's secret. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The headers of one webhook request: the configured ones, then ours (which config cannot override). */
export function webhookHeaders(body: string, envelope: Pick<WebhookEnvelope, 'event' | 'deliveryId'>, hook: { headers?: Record<string, string>; hmacSecret?: string }): Record<string, string> {
  return {
    ...(hook.headers ?? {}),
    'content-type': 'application/json',
    [EVENT_HEADER]: envelope.event,
    [DELIVERY_HEADER]: envelope.deliveryId,
    ...(hook.hmacSecret ? { [SIGNATURE_HEADER]: signBody(body, hook.hmacSecret) } : {}),
  };
}
