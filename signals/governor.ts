// The governor's message contract: its workflow id, the operator signals with their zod payloads, the
// permit updates the incident workflow reaches through activities, and the state query. Shared by the
// governor workflow, its activities, the CLI and tests. Operator payloads arrive as unknown and are
// validated by the governor, which records and ignores anything malformed.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { governorSchema, governorServiceOverrideSchema, type GovernorConfig, type MaintenanceWindow } from '../config/governor';
import { ACTION_NAMES, type ActionName } from '../policy/actions';

export const GOVERNOR_WORKFLOW_TYPE = 'governorWorkflow';

/** One governor per task queue: tests with task queues of their own never share one. */
export function governorWorkflowId(taskQueue: string): string {
  return `governor-${taskQueue}`;
}

const GOVERNOR_QUEUE_SUFFIX = '-governor';

/**
 * The task queue the governor's workflow tasks go to: one of its own, polled by every incident worker beside
 * the incidents' queue, so that permits are not served behind hundreds of incidents' workflow tasks (in a
 * storm every incident waits on the governor).
 */
export function governorTaskQueue(taskQueue: string): string {
  return taskQueue.endsWith(GOVERNOR_QUEUE_SUFFIX) ? taskQueue : `${taskQueue}${GOVERNOR_QUEUE_SUFFIX}`;
}

export const GOVERNOR_MODES = ['auto', 'observe', 'frozen'] as const;
export type GovernorMode = (typeof GOVERNOR_MODES)[number];

/** Runtime maintenance may last at most a week: a forgotten one must not silence automation for good. */
export const MAX_MAINTENANCE_MS = 7 * 24 * 3_600_000;

// ---- operator signals ----

const operator = z.string().trim().min(1, 'operator is required').max(100);
const reason = z.string().trim().max(2000);
// The config's service-name rule: it also keeps names like "__proto__" out of the governor's records.
const service = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'service must be 1-63 lowercase letters, digits, ".", "_" or "-"');

export const setModePayload = z.object({ operator, mode: z.enum(GOVERNOR_MODES), reason: reason.optional() });

export const startMaintenancePayload = z
  .object({
    operator,
    service,
    untilIso: z.iso.datetime({ offset: true }).optional(),
    durationMs: z.number().int().min(1_000).max(MAX_MAINTENANCE_MS).optional(),
    reason: reason.min(1, 'reason is required'),
  })
  .refine((p) => (p.untilIso === undefined) !== (p.durationMs === undefined), {
    message: 'give exactly one of untilIso and durationMs',
    path: ['untilIso'],
  });

export const endMaintenancePayload = z.object({ operator, service, reason: reason.optional() });
export const resetBreakerPayload = z.object({ operator, service, reason: reason.optional() });

/**
 * Runtime limits of one service, set by an operator: they win over config (its per-service override and
 * its global value) until `clearLimits`. The fields and bounds are config's per-service override
 * (config/governor.ts); unknown fields are refused, at least one limit is required, and so is a reason.
 * A later set changes only the limits it names.
 */
export const setLimitsPayload = governorServiceOverrideSchema
  .extend({ operator, service, reason: reason.min(1, 'reason is required') })
  .refine(
    (p) => p.actionsPerHour !== undefined || p.maxInstanceShare !== undefined || p.breaker?.maxRemediations !== undefined || p.breaker?.windowMs !== undefined,
    { message: 'give at least one limit: actionsPerHour, maxInstanceShare, breaker.maxRemediations or breaker.windowMs' },
  );
/** Drops every runtime limit of the service: config applies again. */
export const clearLimitsPayload = z.object({ operator, service, reason: reason.optional() });

export const GOVERNOR_SIGNALS = ['setMode', 'startMaintenance', 'endMaintenance', 'resetBreaker', 'setLimits', 'clearLimits'] as const;
export type GovernorSignalName = (typeof GOVERNOR_SIGNALS)[number];

export type SetModePayload = z.infer<typeof setModePayload>;
export type StartMaintenancePayload = z.infer<typeof startMaintenancePayload>;
export type EndMaintenancePayload = z.infer<typeof endMaintenancePayload>;
export type ResetBreakerPayload = z.infer<typeof resetBreakerPayload>;
export type SetLimitsPayload = z.infer<typeof setLimitsPayload>;
export type ClearLimitsPayload = z.infer<typeof clearLimitsPayload>;

export interface GovernorSignalPayloads {
  setMode: SetModePayload;
  startMaintenance: StartMaintenancePayload;
  endMaintenance: EndMaintenancePayload;
  resetBreaker: ResetBreakerPayload;
  setLimits: SetLimitsPayload;
  clearLimits: ClearLimitsPayload;
}

export const governorSignalPayloads: { [K in GovernorSignalName]: z.ZodType<GovernorSignalPayloads[K]> } = {
  setMode: setModePayload,
  startMaintenance: startMaintenancePayload,
  endMaintenance: endMaintenancePayload,
  resetBreaker: resetBreakerPayload,
  setLimits: setLimitsPayload,
  clearLimits: clearLimitsPayload,
};

export const governorSignals: { [K in GovernorSignalName]: ReturnType<typeof defineSignal<[unknown]>> } = {
  setMode: defineSignal<[unknown]>('setMode'),
  startMaintenance: defineSignal<[unknown]>('startMaintenance'),
  endMaintenance: defineSignal<[unknown]>('endMaintenance'),
  resetBreaker: defineSignal<[unknown]>('resetBreaker'),
  setLimits: defineSignal<[unknown]>('setLimits'),
  clearLimits: defineSignal<[unknown]>('clearLimits'),
};

// ---- settings (from config) ----

/** What the governor enforces: config `governor`, the operator allowlist and the configured service names. */
export const governorSettingsSchema = governorSchema.extend({
  /** Config `operators`: empty → anyone may steer the governor. */
  operators: z.array(operator).default([]),
  /** Configured service names; empty → any service name is accepted. */
  knownServices: z.array(service).default([]),
});
export type GovernorSettings = z.infer<typeof governorSettingsSchema>;

/** Sent by every worker at start, so a changed config reaches the running governor (recorded when it differs). */
export const configurePayload = z.object({ by: z.string().trim().min(1).max(200), settings: governorSettingsSchema });
export const configureSignal = defineSignal<[unknown]>('configure');

// ---- permits ----

export const permitRequestSchema = z.object({
  /** The incident workflow that will act: it holds the service's lease until it releases the permit. */
  incidentWorkflowId: z.string().min(1).max(400),
  incidentId: z.string().min(1).max(100),
  service,
  /** The action to run; absent on a lease, asked before the diagnosis has chosen one. */
  action: z.enum(ACTION_NAMES).optional(),
  /**
   * A lease asked while diagnosing: every bound but the blast radius is checked now; the incident checks the
   * action it then chooses against the maxInstanceShare granted, and hands an unused lease back (`unused`).
   */
  lease: z.literal(true).optional(),
  /** Instances the action takes out of service at once (a rolling reload: 1; a cache flush: 0). */
  takesOutOfService: z.number().int().min(0).max(1024),
  /** Instances the service runs now. */
  instances: z.number().int().min(1).max(1024),
  /** Idempotency key: the same request asked twice is granted once. The activity fills it in. */
  requestId: z.string().min(1).max(400).optional(),
}).refine((r) => r.lease === true || r.action !== undefined, { message: 'action is required unless lease is true', path: ['action'] });
export type PermitRequest = z.input<typeof permitRequestSchema>;
/** A lease is asked for before the action is chosen: the incident and service, and the instances it runs. */
export type LeaseRequest = Omit<PermitRequest, 'action' | 'lease' | 'takesOutOfService'>;

export type PermitVerdict =
  /**
   * maxOutOfService: the blast-radius bound the action must keep to (absent on permits granted before it
   * existed, and on leases). maxInstanceShare: on a lease, the share the action chosen later must keep to.
   */
  | { verdict: 'granted'; permitId: string; reason: string; leaseExpiresAt: string; maxOutOfService?: number; maxInstanceShare?: number }
  /**
   * observe: mode observe or the service is in maintenance; record the plan, take no action.
   * escalate: frozen, budget spent, breaker open, blast radius exceeded, unknown service; hand to a human.
   * wait: another incident holds the service's lease; ask again after retryAfterMs.
   */
  | { verdict: 'observe' | 'escalate' | 'wait'; reason: string; retryAfterMs?: number };

/** The answer to a lease asked for while diagnosing: the governor's verdict, or not-asked when this worker's calls to it are backed up. */
export type LeaseAnswer = PermitVerdict | { verdict: 'not-asked'; reason: string };

/** `unused`: a lease no action was taken under; its budget slot is given back. */
export const PERMIT_OUTCOMES = ['verified', 'failed', 'not-performed', 'unused'] as const;
export type PermitOutcome = (typeof PERMIT_OUTCOMES)[number];

export const permitReleaseSchema = z.object({
  permitId: z.string().min(1).max(100),
  /**
   * verified counts towards the service's breaker; every granted permit already counted towards its budget,
   * but a lease released `unused`.
   */
  outcome: z.enum(PERMIT_OUTCOMES),
  /** The action taken under a lease, for the governor's records. */
  action: z.enum(ACTION_NAMES).optional(),
});
export type PermitRelease = z.infer<typeof permitReleaseSchema>;

export interface PermitReleaseResult {
  /** false when the permit was unknown or already released (a retried release is harmless). */
  released: boolean;
  summary: string;
  breakerOpened: boolean;
}

export const requestPermitUpdate = defineUpdate<PermitVerdict, [PermitRequest]>('requestPermit');
export const releasePermitUpdate = defineUpdate<PermitReleaseResult, [PermitRelease]>('releasePermit');

// ---- state ----

export interface AuditEntry {
  seq: number;
  at: string;
  /** The operator, `config` (a worker's configure) or `governor` (a rule firing by itself). */
  actor: string;
  kind:
    | 'started'
    | 'mode'
    | 'maintenance-start'
    | 'maintenance-end'
    | 'maintenance-window'
    | 'breaker-open'
    | 'breaker-reset'
    | 'lease-expired'
    | 'limits-set'
    | 'limits-clear'
    | 'configured'
    | 'rejected';
  service?: string;
  summary: string;
  /** false: recorded and ignored (bad payload, not on the allowlist, unknown service, nothing to end). */
  applied: boolean;
}

export interface PermitDecision {
  at: string;
  service: string;
  incidentId: string;
  /** null: a lease, asked before the action was chosen. */
  action: ActionName | null;
  verdict: PermitVerdict['verdict'];
  permitId?: string;
  reason: string;
}

export interface LeaseView {
  incidentWorkflowId: string;
  incidentId: string;
  permitId: string;
  /** null: a lease whose incident is still diagnosing. */
  action: ActionName | null;
  grantedAt: string;
  expiresAt: string;
}

/**
 * Where a limit in force comes from, highest precedence first: `runtime` (an operator's `setLimits`),
 * `config` (config `governor.services.<service>`), `default` (config's global `governor.*` value, or its
 * built-in default).
 */
export const LIMIT_SOURCES = ['runtime', 'config', 'default'] as const;
export type LimitSource = (typeof LIMIT_SOURCES)[number];

export interface EffectiveLimit {
  /** The value the governor enforces now. */
  value: number;
  source: LimitSource;
  /** What config gives: what applies once the runtime override is cleared (equals value unless source is runtime). */
  config: { value: number; source: Exclude<LimitSource, 'runtime'> };
  /** Who set the runtime override, when, and why (only when source is runtime). */
  runtime?: { by: string; since: string; reason: string };
}

export interface ServiceLimits {
  actionsPerHour: EffectiveLimit;
  maxInstanceShare: EffectiveLimit;
  breaker: { maxRemediations: EffectiveLimit; windowMs: EffectiveLimit };
}

export interface ServiceGovernance {
  service: string;
  /** The limits in force and where each comes from; the values are also in budget, maxInstanceShare and breaker. */
  limits: ServiceLimits;
  maintenance: { source: 'operator' | 'window'; until: string; by?: string; reason?: string; window?: string } | null;
  budget: { used: number; limit: number; nextSlotAt: string | null };
  maxInstanceShare: number;
  lease: LeaseView | null;
  breaker: {
    open: boolean;
    openedAt: string | null;
    reason: string | null;
    /** Verified remediations within the breaker window. */
    remediations: number;
    maxRemediations: number;
    windowMs: number;
  };
  windows: MaintenanceWindow[];
}

export interface GovernorView {
  asOf: string;
  mode: { mode: GovernorMode; since: string; by: string; reason?: string };
  operators: string[];
  settings: Omit<GovernorConfig, 'maintenance' | 'services'>;
  services: ServiceGovernance[];
  /** Operator changes and rule events, oldest first; the latest AUDIT_LIMIT (the history has all). */
  audit: AuditEntry[];
  /** Latest permit decisions, oldest first. */
  decisions: PermitDecision[];
  /** How many times this governor has continued as new. */
  generation: number;
}

export const governorStateQuery = defineQuery<GovernorView>('governorState');

// ---- the workflow's input ----

export interface GovernorInput {
  /** Initial mode (config `policy.mode`); afterwards only `setMode` changes it. */
  mode: GovernorMode;
  settings: GovernorSettings;
  /** Continue as new once the history has this many events, besides when the server suggests it (tests). */
  continueAsNewAfterEvents?: number;
  /** State carried over continueAsNew. */
  carried?: unknown;
}
