// PagerDuty Events API v2 events: a trigger on escalation, a resolve when a human closes the incident.
// The dedup_key is the incident ID, stable for the incident's life, so a retried trigger or resolve is
// merged by PagerDuty into the same alert instead of paging twice.
import type { Severity } from '../policy/types';
import { truncate, workflowUiUrl } from './links';
import type { LinkContext, PageContext, PageResolveRequest } from './types';

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

export interface PagerDutyTrigger {
  routing_key: string;
  event_action: 'trigger';
  dedup_key: string;
  payload: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp: string;
    component: string;
    group: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
  client: string;
  client_url: string;
  links: Array<{ href: string; text: string }>;
}

export interface PagerDutyResolve {
  routing_key: string;
  event_action: 'resolve';
  dedup_key: string;
}

export interface PagerDutyOptions extends LinkContext {
  routingKey: string;
  /** payload.source: the host or system where the problem is. */
  source: string;
  now: Date;
}

/** PagerDuty's limits: summary 1024 characters, source 255. */
export const SUMMARY_MAX = 1024;
const SOURCE_MAX = 255;
export const CLIENT = 'zero-touch';

/**
 * Incident severity → PagerDuty severity. An escalation whose severity was never established (no
 * classification) still needs a human, so it is an error, not a warning.
 */
export function pagerDutySeverity(severity: Severity | null | undefined): PagerDutySeverity {
  switch (severity) {
    case 'high':
      return 'critical';
    case 'medium':
      return 'error';
    case 'low':
      return 'warning';
    default:
      return 'error';
  }
}

/** The dedup_key of every event about one incident. */
export function dedupKeyFor(incidentId: string): string {
  return incidentId;
}

export function pagerDutyTrigger(page: PageContext, opts: PagerDutyOptions): PagerDutyTrigger {
  const url = workflowUiUrl(opts, page.workflowId, page.runId);
  return {
    routing_key: opts.routingKey,
    event_action: 'trigger',
    dedup_key: dedupKeyFor(page.incidentId),
    payload: {
      summary: truncate(`${page.incidentId} ${page.service}: ${page.reason}`, SUMMARY_MAX),
      source: truncate(opts.source, SOURCE_MAX),
      severity: pagerDutySeverity(page.severity),
      timestamp: opts.now.toISOString(),
      component: page.service,
      group: page.service,
      class: page.class ?? 'unclassified',
      custom_details: {
        incident_id: page.incidentId,
        workflow_id: page.workflowId,
        ...(page.runId ? { run_id: page.runId } : {}),
        reason: page.reason,
        details: page.details,
        severity: page.severity ?? null,
        confidence: page.confidence ?? null,
        ...(page.signatureId ? { signature: page.signatureId } : {}),
        automation: 'frozen: no further automatic action until a human resolves, releases or reverts',
      },
    },
    client: CLIENT,
    client_url: url,
    links: [{ href: url, text: `Temporal Web UI: ${page.workflowId}` }],
  };
}

/** Only routing_key, event_action and dedup_key mean anything to PagerDuty on a resolve. */
export function pagerDutyResolve(req: PageResolveRequest, opts: Pick<PagerDutyOptions, 'routingKey'>): PagerDutyResolve {
  return { routing_key: opts.routingKey, event_action: 'resolve', dedup_key: dedupKeyFor(req.incidentId) };
}
