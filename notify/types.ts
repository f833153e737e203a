// What the notifiers send and what they record. Types only, shared by the builders, the activities and
// (as type imports) the workflow.
import type { NotifyEvent } from '../config/notifiers';
import type { PageRequest } from '../activities/types';
import type { IncidentClass, Severity } from '../policy/types';

export type { NotifyEvent } from '../config/notifiers';

/** `slack`, `pagerduty`, or `webhook:<name>` for a configured generic webhook. */
export type Channel = 'slack' | 'pagerduty' | `webhook:${string}`;

/** One message accepted by one receiver; returned by the activity, so it lands in the workflow history. */
export interface DeliveryRecord {
  channel: Channel;
  event: NotifyEvent;
  /** PagerDuty's dedup_key (the incident ID) or a webhook's X-ZeroTouch-Delivery; none for Slack. */
  dedupKey?: string;
  /** The receiver's HTTP status (2xx). */
  status: number;
  /** The activity attempt that delivered it. */
  attempt: number;
  deliveredAt: string;
}

/** What a notifying activity returns. */
export interface NotificationResult {
  event: NotifyEvent;
  incidentId: string;
  /** Everything delivered, including by earlier attempts of the same activity. */
  deliveries: DeliveryRecord[];
  /** Channels that got nothing, and why (not configured, not for this event). */
  notSent: string[];
  summary: string;
}

/**
 * A page. The workflow's PageRequest plus what the PagerDuty event shows when the workflow passes it;
 * all optional so today's PageRequest is enough.
 */
export interface PageContext extends PageRequest {
  runId?: string;
  class?: IncidentClass | null;
  severity?: Severity | null;
  confidence?: number | null;
  signatureId?: string | null;
}

/** A human closed an incident that had paged: resolve the page (same dedup_key as the trigger). */
export interface PageResolveRequest {
  incidentId: string;
  workflowId: string;
  service: string;
  operator: string;
  reason?: string;
}

/** Where the links in a message point. */
export interface LinkContext {
  /** Temporal Web UI base URL, without a trailing slash. */
  publicUrl: string;
  namespace: string;
}
