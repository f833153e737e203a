// What incidents did, as Prometheus metrics (docs/metrics.md): incidents by class and outcome, time to
// recovery, actions by result, escalations by reason, and pages versus notifications. Recorded by the
// activities that end an incident (activities/report.ts). Same own-Registry pattern as the ingress's
// metrics, reusing what a registry already holds, so the worker and the ingress of `npm start` share one
// registry and one /metrics.
import { collectDefaultMetrics, Counter, Histogram, type Registry } from 'prom-client';
import { registered } from '../ingress/metrics';
import type { NotificationResult, NotifyEvent } from '../notify/types';
import type { ActionRecord, IncidentReport } from '../signals/incident';

/** What became of one action of an incident. */
export type ActionResult = 'verified' | 'failed-verification' | 'refused' | 'failed' | 'not-performed';

/** Bounded escalation reasons: the free text of the timeline, folded into the label a dashboard groups by. */
export const ESCALATION_REASONS = [
  'risk',
  'failed-twice',
  'frozen',
  'observe',
  'low-confidence',
  'high-severity',
  'no-playbook',
  'blast-radius',
  'refused',
  'budget',
  'breaker',
  'maintenance',
  'excluded-step',
  'human',
  'uncertified',
  'other',
] as const;
export type EscalationReason = (typeof ESCALATION_REASONS)[number];

/** `page`: someone is woken (escalation); `page-resolve`: that page is closed; `notification`: told, not woken. */
export type HumanMessageKind = 'page' | 'page-resolve' | 'notification';

/**
 * Patterns over the escalation reasons the workflow writes (workflows/gate.ts, workflows/incident.ts,
 * workflows/governor-state.ts, workflows/blast-radius.ts), most specific first. Reasons that quote another
 * text (a refused action's error, the permit the workflow waited for) are matched by their own opening
 * first, so the quoted text cannot mislabel them.
 */
const REASON_PATTERNS: ReadonlyArray<readonly [RegExp, EscalationReason]> = [
  [/^\S+ was refused and nothing was changed/, 'refused'],
  [/^waited \d+ times for the governor/, 'other'],
  [/^no resolution after \d+ rounds/, 'other'],
  [/^mandatory escalation: risk signals/, 'risk'],
  [/^mandatory escalation: recovery failed/, 'failed-twice'],
  [/^automation is frozen/, 'frozen'],
  [/^observe mode/, 'observe'],
  [/^class \S+ is not certified/, 'uncertified'],
  [/^\S+ is in maintenance until /, 'maintenance'],
  [/^unclear diagnosis/, 'low-confidence'],
  [/^high severity /, 'high-severity'],
  [/^no approved action in the playbook/, 'no-playbook'],
  [/^the playbook of \S+ calls for \S+, which this build cannot carry out/, 'no-playbook'],
  [/^the excluded step /, 'excluded-step'],
  [/^the follow-up \S+ was rejected by a human/, 'human'],
  [/^blast radius:/, 'blast-radius'],
  [/^action budget spent/, 'budget'],
  [/^recurring: .*breaker open since/, 'breaker'],
];

export function escalationReason(text: string): EscalationReason {
  for (const [pattern, reason] of REASON_PATTERNS) if (pattern.test(text)) return reason;
  return 'other';
}

export function actionResult(record: ActionRecord): ActionResult {
  if (record.error !== null) return record.refused ? 'refused' : 'failed';
  if (record.verified === true) return 'verified';
  if (record.verified === false) return 'failed-verification';
  return 'not-performed';
}

function messageKind(event: NotifyEvent): HumanMessageKind {
  if (event === 'escalated') return 'page';
  if (event === 'page-resolved') return 'page-resolve';
  return 'notification';
}

/** Remembers the last `capacity` keys: enough to see a retried activity again, never growing without bound. */
class RecentKeys {
  private readonly keys = new Set<string>();
  constructor(private readonly capacity: number) {}

  /** True the first time a key is seen (within the last `capacity` keys). */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value as string);
    return true;
  }
}

export interface IncidentMetrics {
  registry: Registry;
  incidents: Counter<'service' | 'class' | 'outcome'>;
  recovery: Histogram<'class' | 'outcome'>;
  actions: Counter<'action' | 'result'>;
  escalations: Counter<'reason'>;
  humanMessages: Counter<'kind' | 'channel'>;
  /**
   * Counts a closed incident once: publishReport may be retried, so a report whose incident ID was
   * recorded recently is skipped. Returns whether it was counted.
   */
  recordReport(report: IncidentReport): boolean;
  /** Counts each delivery of a notifying activity's result once (a retry's result repeats earlier ones). */
  recordNotification(result: NotificationResult): void;
  /**
   * A page that went only to the log (no pager configured), counted once per `key` (one activity, across
   * its retries), so pages show as `channel="log"` either way.
   */
  recordLoggedPage(key: string): void;
}

/** Recovery from 1 s to 30 min and beyond: self-healing takes seconds, a human minutes. */
export const RECOVERY_BUCKETS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600];
const RECENT = 10_000;
const shared = new WeakMap<Registry, IncidentMetrics>();

export function createIncidentMetrics(registry: Registry): IncidentMetrics {
  const existing = shared.get(registry);
  if (existing) return existing;
  const registers = [registry];
  if (!registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry });
  const incidents = registered(
    registry,
    'zt_incidents_total',
    () =>
      new Counter({
        name: 'zt_incidents_total',
        help: 'Closed incidents, by service, root cause class (unclassified when none) and outcome.',
        labelNames: ['service', 'class', 'outcome'] as const,
        registers,
      }),
  );
  const recovery = registered(
    registry,
    'zt_recovery_seconds',
    () =>
      new Histogram({
        name: 'zt_recovery_seconds',
        help: 'Time to recovery of closed incidents: first sign of the fault to verified recovery or human resolution.',
        labelNames: ['class', 'outcome'] as const,
        buckets: RECOVERY_BUCKETS,
        registers,
      }),
  );
  const actions = registered(
    registry,
    'zt_actions_total',
    () =>
      new Counter({
        name: 'zt_actions_total',
        help: 'Remediation actions of closed incidents, by action and result (verified, failed-verification, refused, failed, not-performed).',
        labelNames: ['action', 'result'] as const,
        registers,
      }),
  );
  const escalations = registered(
    registry,
    'zt_escalations_total',
    () =>
      new Counter({
        name: 'zt_escalations_total',
        help: 'Closed incidents that escalated to a human, by the category of their (last) escalation reason.',
        labelNames: ['reason'] as const,
        registers,
      }),
  );
  const humanMessages = registered(
    registry,
    'zt_human_messages_total',
    () =>
      new Counter({
        name: 'zt_human_messages_total',
        help: 'Messages to humans by kind (page, page-resolve, notification) and channel (pagerduty, slack, webhook:<name>, log).',
        labelNames: ['kind', 'channel'] as const,
        registers,
      }),
  );
  const reports = new RecentKeys(RECENT);
  const deliveries = new RecentKeys(RECENT);

  const metrics: IncidentMetrics = {
    registry,
    incidents,
    recovery,
    actions,
    escalations,
    humanMessages,
    recordReport(report) {
      if (!reports.add(report.incidentId)) return false;
      const cls = report.class ?? 'unclassified';
      incidents.inc({ service: report.service, class: cls, outcome: report.outcome });
      recovery.observe({ class: cls, outcome: report.outcome }, Math.max(0, report.ttrSeconds));
      for (const record of report.actions) actions.inc({ action: record.action, result: actionResult(record) });
      if (report.escalation) escalations.inc({ reason: escalationReason(report.escalation.reason) });
      return true;
    },
    recordNotification(result) {
      for (const d of result.deliveries) {
        // A delivery record is unique by where, what and when; a retried activity hands back the same records.
        if (!deliveries.add(JSON.stringify([result.incidentId, d.event, d.channel, d.deliveredAt, d.attempt]))) continue;
        humanMessages.inc({ kind: messageKind(d.event), channel: d.channel });
      }
    },
    recordLoggedPage(key) {
      if (deliveries.add(JSON.stringify(['log-page', key]))) humanMessages.inc({ kind: 'page', channel: 'log' });
    },
  };
  shared.set(registry, metrics);
  return metrics;
}
