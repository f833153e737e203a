// Shapes the outside world reads from an incident: its input, the `status` and `timeline` queries
// and the final report. The CLI, tests and dashboards depend on these; change them only with the docs.
import type { Alert } from './alert';
import type { ActionName, IncidentClass, Severity } from '../policy/types';

export interface IncidentInput {
  /** Stable key of the open incident: `<service>.<group>`; the workflow id is `incident-<key>`. */
  key: string;
  service: string;
  alert: Alert;
  /**
   * The operator allowlist in force when the incident opened (config `operators`); human signals from
   * anyone else are recorded and ignored. Absent or empty: anyone may.
   */
  operators?: string[];
  /** Base URL of the Temporal Web UI (config notifiers.publicUrl), for the report's link. */
  webUiUrl?: string;
}

export type IncidentPhase =
  | 'diagnosing'
  | 'acting'
  | 'verifying'
  | 'awaiting-approval'
  | 'paused'
  | 'human-control'
  | 'escalated'
  | 'reverting'
  | 'closed';

export type IncidentOutcome = 'auto-resolved' | 'recovered-without-action' | 'resolved-by-human';

export type { UndoRecipe } from './actions';
import type { UndoRecipe } from './actions';

export interface ActionRecord {
  action: ActionName;
  attempt: number;
  idempotencyKey: string;
  pmIds: number[];
  startedAt: string;
  endedAt: string;
  performed: boolean;
  /** Set when the action itself failed (after its retries), as opposed to failing verification. */
  error: string | null;
  /** The error was a refusal (a precondition or bound did not hold; nothing was changed), not a failure. */
  refused?: boolean;
  summary: string;
  undo: UndoRecipe;
  verified: boolean | null;
  verification: string | null;
  undone: boolean;
}

export interface HumanAct {
  operator: string;
  signal: string;
  at: string;
  reason?: string;
}

export interface TimelineEntry {
  at: string;
  kind: string;
  summary: string;
  operator?: string;
}

export interface IncidentStatus {
  incidentId: string;
  workflowId: string;
  key: string;
  service: string;
  phase: IncidentPhase;
  class: IncidentClass | null;
  severity: Severity | null;
  confidence: number | null;
  outcome: IncidentOutcome | null;
  paused: boolean;
  pausedBy: string | null;
  controller: string | null;
  frozen: boolean;
  escalation: { reason: string; at: string } | null;
  pendingApproval: { action: ActionName; reason: string } | null;
  failedAttempts: number;
  actions: ActionRecord[];
  alerts: { received: number; firing: number; resolved: number; lastName: string };
  startedAt: string;
  detectedAt: string;
  updatedAt: string;
}

export interface IncidentReport {
  incidentId: string;
  workflowId: string;
  runId: string;
  key: string;
  service: string;
  class: IncidentClass | null;
  signatureId: string | null;
  severity: Severity | null;
  confidence: number | null;
  outcome: IncidentOutcome;
  reasons: string[];
  actions: ActionRecord[];
  failedAttempts: number;
  escalation: { reason: string; at: string } | null;
  humans: HumanAct[];
  alertsReceived: number;
  detectedAt: string;
  startedAt: string;
  endedAt: string;
  /** From the first sign of the fault (alert start) to verified recovery or human resolution. */
  ttrSeconds: number;
  /** First sign of the fault → the incident opened (the detector's or alert rule's own delay comes before). */
  timeToDetectSeconds?: number;
  /** First sign → the first action that changed something finished; null when nothing was done. */
  timeToMitigateSeconds?: number | null;
  /** Failed requests and affected users, estimated from the service's request counters; null if not measured. */
  impact?: UserImpact | null;
  temporal?: { namespace: string; workflowId: string; runId: string; webUiUrl: string | null };
  /** A catalog signature drafted from the human's resolution, for review. */
  proposedSignature?: { file: string | null; signatureId: string | null; summary: string } | null;
  resolution: HumanResolution | null;
}

/** Incident IDs are short, sortable by day and derived from the first run id, so ingress and workflow agree. */
export function incidentIdFor(firstRunId: string, startedAt: Date): string {
  const day = startedAt.toISOString().slice(0, 10).replace(/-/g, '');
  return `INC-${day}-${firstRunId.replace(/-/g, '').slice(0, 8)}`;
}

export function workflowIdFor(key: string): string {
  return `incident-${key}`;
}

/** One scrape of every instance's request counters (activities/impact.ts). */
export interface TrafficSample {
  at: number;
  instances: InstanceTraffic[];
}

export interface InstanceTraffic {
  instance: number;
  /** false when its metrics could not be read (hung, dead, refusing): `error` says why. */
  reachable: boolean;
  /** process_start_time_seconds: a different value later means the counters began again. */
  startedAt: number | null;
  /** User requests (the health and metrics routes excluded) and those answered 5xx, since the process started. */
  requests: number;
  errors: number;
  error?: string;
}

/** The report's estimate of what users felt (reporting/user-impact.ts explains the model). */
export interface UserImpact {
  failedRequests: number;
  totalRequests: number;
  /** failed / total over the incident, 0 when there was no traffic. */
  errorRatio: number;
  affectedUsers: number;
  durationSeconds: number;
  requestsPerUserPerMinute: number;
  /** How the numbers were arrived at, in words. */
  basis: string;
}

/** What a human said when resolving an incident (the `resolve` signal), kept in the report and the ledger. */
export interface HumanResolution {
  operator: string;
  rootCause?: string;
  fix?: string;
  /** The class it really was, when the diagnosis had none or the wrong one. */
  class?: IncidentClass;
  /** The approved action that fixed it, when one did. */
  action?: ActionName;
}
