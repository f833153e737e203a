// All state of the governor in one plain class: mode, maintenance, budgets, leases, breakers, the
// operators' runtime limits and the audit. Handlers call exactly one method; every method takes the time from its caller (the workflow
// clock), so the class is pure and the unit tests drive the clock.
import type { ActionName } from '../policy/actions';
import {
  configurePayload,
  governorSettingsSchema,
  governorSignalPayloads,
  MAX_MAINTENANCE_MS,
  type AuditEntry,
  type ClearLimitsPayload,
  type EffectiveLimit,
  type EndMaintenancePayload,
  type GovernorInput,
  type GovernorMode,
  type GovernorSettings,
  type GovernorSignalName,
  type GovernorView,
  type PermitDecision,
  type PermitOutcome,
  type PermitRelease,
  type PermitReleaseResult,
  type PermitRequest,
  type PermitVerdict,
  type ResetBreakerPayload,
  type ServiceGovernance,
  type SetLimitsPayload,
  type SetModePayload,
  type StartMaintenancePayload,
} from '../signals/governor';
import { checkBlastRadius } from './blast-radius';
import { activeWindow, nextWindowBoundary } from './maintenance-windows';

const HOUR_MS = 3_600_000;
/** The query shows this many audit entries; the workflow history keeps every one. */
export const AUDIT_LIMIT = 200;
export const DECISION_LIMIT = 100;
/** Permits remembered for release; an incident releases within minutes, so this is far beyond need. */
const PERMIT_LIMIT = 500;
/** A waiting incident asks again at least this often, so a released lease is noticed soon. */
const MAX_WAIT_MS = 10_000;

interface Lease {
  incidentWorkflowId: string;
  incidentId: string;
  permitId: string;
  /** null: a lease asked while diagnosing; the incident has not said what it will do under it. */
  action: ActionName | null;
  requestId: string | null;
  grantedAt: number;
  expiresAt: number;
}

interface PermitRecord {
  permitId: string;
  service: string;
  incidentId: string;
  outcome: PermitOutcome | null;
  /** When it was granted: a lease handed back unused gives this budget slot back (absent on older records). */
  grantedAt?: number;
}

interface ServiceState {
  lease: Lease | null;
  /** When each granted permit was granted, within the last hour. */
  grants: number[];
  /** When each verified remediation was released, within the breaker window. */
  remediations: number[];
  breaker: { openedAt: number; reason: string } | null;
  /** Maintenance started by an operator. */
  maintenance: { by: string; reason: string; since: number; until: number } | null;
  /** Label of the configured weekly window in force at the last tick, to record entering and leaving it. */
  window: string | null;
}

/** One limit an operator set at runtime (`setLimits`): it wins over config until `clearLimits`. */
interface RuntimeLimit {
  value: number;
  by: string;
  since: number;
  reason: string;
}

/** Everything carried over continueAsNew: plain JSON. */
export interface GovernorSnapshot {
  mode: { mode: GovernorMode; since: number; by: string; reason?: string };
  settings: GovernorSettings;
  services: Record<string, ServiceState>;
  /**
   * Runtime limits per service. Absent until the first `setLimits`, so a governor that never had one
   * carries exactly the snapshot it carried before runtime limits existed.
   */
  limits?: Record<string, Partial<Record<BoundName, RuntimeLimit>>>;
  permits: PermitRecord[];
  audit: AuditEntry[];
  decisions: PermitDecision[];
  auditSeq: number;
  permitSeq: number;
  generation: number;
}

interface Bounds {
  actionsPerHour: number;
  maxInstanceShare: number;
  maxRemediations: number;
  windowMs: number;
}
type BoundName = keyof Bounds;
const BOUND_NAMES: readonly BoundName[] = ['actionsPerHour', 'maxInstanceShare', 'maxRemediations', 'windowMs'];
/** A bound as payloads, config and the audit name it. */
const BOUND_LABEL: Record<BoundName, string> = {
  actionsPerHour: 'actionsPerHour',
  maxInstanceShare: 'maxInstanceShare',
  maxRemediations: 'breaker.maxRemediations',
  windowMs: 'breaker.windowMs',
};
/** What config gives for a bound: the service's override (`config`) or the global value (`default`). */
type Configured = EffectiveLimit['config'];
const boundText = (name: BoundName, value: number) => (name !== 'windowMs' ? String(value) : value === HOUR_MS ? '1 hour' : spanText(value));
/** Config keys a runtime limit shadows: a configure changing one of them is told the runtime limits still win. */
const SHADOWED_SETTINGS = ['actionsPerHour', 'maxInstanceShare', 'breaker', 'services'];

const iso = (t: number) => new Date(t).toISOString();
/** A lease's action before the incident has chosen one. */
const actionText = (action: ActionName | null) => action ?? 'any action (diagnosing)';
const said = (reason?: string) => (reason ? `: ${reason}` : '');

/** "hour", "2 hours", "30 min", "90 s": for reasons a human reads. */
export function spanText(ms: number): string {
  if (ms === HOUR_MS) return 'hour';
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS} hours`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

function problemsOf(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues.map((i) => `${i.path.map(String).join('.') || 'payload'}: ${i.message}`).join('; ');
}

function operatorOf(raw: unknown): string {
  const op = raw !== null && typeof raw === 'object' ? (raw as { operator?: unknown }).operator : undefined;
  return typeof op === 'string' && op.trim() ? op.trim().slice(0, 100) : '(unknown)';
}

function has<T>(record: Record<string, T>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(record, key);
}

export class GovernorState {
  /** Bumped on every change, so the workflow can wait for "anything happened". */
  version = 0;
  private readonly s: GovernorSnapshot;

  /**
   * @param permitPrefix makes permit ids unique beyond one governor's life (the first run id's prefix),
   *   so a permit of a terminated governor can never release one of its successor.
   */
  constructor(
    input: GovernorInput,
    now: number,
    private readonly permitPrefix: string,
  ) {
    if (input.carried) {
      this.s = input.carried as GovernorSnapshot;
      this.s.generation++;
      return;
    }
    const settings = governorSettingsSchema.parse(input.settings);
    this.s = {
      mode: { mode: input.mode, since: now, by: 'config', reason: 'initial mode from config policy.mode' },
      settings,
      services: {},
      permits: [],
      audit: [],
      decisions: [],
      auditSeq: 0,
      permitSeq: 0,
      generation: 0,
    };
    this.audit(now, 'config', 'started', `governor started in mode ${input.mode}`, true);
    this.tick(now);
  }

  get mode(): GovernorMode {
    return this.s.mode.mode;
  }

  snapshot(): GovernorSnapshot {
    return this.s;
  }

  // ---- the clock: expiries and window edges, each recorded ----

  tick(now: number): void {
    for (const [name, st] of Object.entries(this.s.services)) {
      if (st.lease && st.lease.expiresAt <= now) {
        const l = st.lease;
        st.lease = null;
        this.audit(now, 'governor', 'lease-expired', `lease of ${name} held by ${l.incidentId} (${l.permitId}, ${actionText(l.action)}) expired unreleased; the service is free`, true, name);
      }
      if (st.maintenance && st.maintenance.until <= now) {
        const m = st.maintenance;
        st.maintenance = null;
        this.audit(now, 'governor', 'maintenance-end', `maintenance of ${name} (by ${m.by}: ${m.reason}) ended as scheduled`, true, name);
      }
      st.grants = st.grants.filter((t) => t > now - HOUR_MS);
      st.remediations = st.remediations.filter((t) => t > now - this.bounds(name).windowMs);
    }
    for (const name of this.namesWithWindows()) {
      const label = activeWindow(this.windowsOf(name), now)?.label ?? null;
      const st = this.service(name);
      if (label === st.window) continue;
      const summary = label ? `${name} entered its maintenance window (${label}); automation only observes it` : `${name} left its maintenance window (${st.window})`;
      st.window = label;
      this.audit(now, 'governor', 'maintenance-window', summary, true, name);
    }
  }

  /** The next moment something expires or a window opens or closes; null: nothing scheduled. */
  nextWakeAt(now: number): number | null {
    const times: number[] = [];
    for (const [name, st] of Object.entries(this.s.services)) {
      if (st.lease) times.push(st.lease.expiresAt);
      if (st.maintenance) times.push(st.maintenance.until);
      times.push(...st.grants.map((t) => t + HOUR_MS), ...st.remediations.map((t) => t + this.bounds(name).windowMs));
    }
    for (const name of this.namesWithWindows()) {
      const edge = nextWindowBoundary(this.windowsOf(name), now);
      if (edge !== null) times.push(edge);
    }
    const future = times.filter((t) => t > now);
    return future.length ? Math.min(...future) : null;
  }

  // ---- operator signals: validated, allowlisted, recorded ----

  receive(signal: GovernorSignalName, raw: unknown, now: number): void {
    this.tick(now);
    const parsed = governorSignalPayloads[signal].safeParse(raw);
    if (!parsed.success) {
      this.audit(now, operatorOf(raw), 'rejected', `ignored ${signal}: ${problemsOf(parsed.error.issues)}`, false);
      return;
    }
    const { operator } = parsed.data;
    if (!this.allowed(operator)) {
      this.audit(now, operator, 'rejected', `ignored ${signal} from ${operator}: not on the operator allowlist (${this.s.settings.operators.join(', ')})`, false);
      return;
    }
    // Runtime limits of a service that has since left the config can still be cleared.
    const clearable = signal === 'clearLimits' && this.runtimeOf((parsed.data as ClearLimitsPayload).service) !== undefined;
    if ('service' in parsed.data && !this.knows(parsed.data.service) && !clearable) {
      const service = parsed.data.service;
      this.audit(now, operator, 'rejected', `ignored ${signal} from ${operator}: unknown service "${service}" (configured: ${this.s.settings.knownServices.join(', ')})`, false);
      return;
    }
    switch (signal) {
      case 'setMode':
        return this.setMode(parsed.data as SetModePayload, now);
      case 'startMaintenance':
        return this.startMaintenance(parsed.data as StartMaintenancePayload, now);
      case 'endMaintenance':
        return this.endMaintenance(parsed.data as EndMaintenancePayload, now);
      case 'resetBreaker':
        return this.resetBreaker(parsed.data as ResetBreakerPayload, now);
      case 'setLimits':
        return this.setLimits(parsed.data as SetLimitsPayload, now);
      case 'clearLimits':
        return this.clearLimits(parsed.data as ClearLimitsPayload, now);
    }
  }

  /**
   * A worker's config, sent at its start: recorded only when it changes something. It replaces the
   * settings, never the operators' runtime limits: those keep winning (and the record says so).
   */
  configure(raw: unknown, now: number): void {
    const parsed = configurePayload.safeParse(raw);
    if (!parsed.success) {
      this.audit(now, 'config', 'rejected', `ignored configure: ${problemsOf(parsed.error.issues)}`, false);
      return;
    }
    const { by, settings } = parsed.data;
    const before = this.s.settings as Record<string, unknown>;
    const changed = Object.keys(settings).filter((k) => JSON.stringify(before[k]) !== JSON.stringify((settings as Record<string, unknown>)[k]));
    if (changed.length === 0) return;
    this.s.settings = settings;
    const overridden = this.servicesWithRuntimeLimits();
    const shadowed = overridden.length && changed.some((k) => SHADOWED_SETTINGS.includes(k));
    const still = shadowed ? `; runtime limits still win for ${overridden.join(', ')} (\`zt limits clear <service>\` returns to config)` : '';
    this.audit(now, 'config', 'configured', `settings changed by ${by}: ${changed.join(', ')}${still}`, true);
    this.tick(now);
  }

  private setMode({ operator, mode, reason }: SetModePayload, now: number): void {
    const was = this.s.mode.mode;
    this.s.mode = { mode, since: now, by: operator, ...(reason ? { reason } : {}) };
    const what = was === mode ? `kept mode ${mode}` : `set mode ${mode} (was ${was})`;
    this.audit(now, operator, 'mode', `${operator} ${what}${said(reason)}`, true);
  }

  private startMaintenance({ operator, service, untilIso, durationMs, reason }: StartMaintenancePayload, now: number): void {
    const until = untilIso !== undefined ? Date.parse(untilIso) : now + (durationMs ?? 0);
    if (until <= now || until - now > MAX_MAINTENANCE_MS) {
      const why = until <= now ? `${untilIso} is not in the future` : `it would last beyond ${spanText(MAX_MAINTENANCE_MS)}`;
      this.audit(now, operator, 'rejected', `ignored startMaintenance of ${service} from ${operator}: ${why}`, false, service);
      return;
    }
    const st = this.service(service);
    const what = st.maintenance ? `moved the end of the maintenance of ${service} to` : `put ${service} in maintenance until`;
    st.maintenance = { by: operator, reason, since: now, until };
    this.audit(now, operator, 'maintenance-start', `${operator} ${what} ${iso(until)}${said(reason)}; automation only observes it`, true, service);
  }

  private endMaintenance({ operator, service, reason }: EndMaintenancePayload, now: number): void {
    const st = this.peek(service);
    const window = st?.window ? `; its configured window (${st.window}) still holds` : '';
    if (!st?.maintenance) {
      this.audit(now, operator, 'maintenance-end', `${operator} ended maintenance of ${service}, but no operator had started one${window}`, false, service);
      return;
    }
    st.maintenance = null;
    this.audit(now, operator, 'maintenance-end', `${operator} ended the maintenance of ${service}${said(reason)}${window}`, true, service);
  }

  private resetBreaker({ operator, service, reason }: ResetBreakerPayload, now: number): void {
    const st = this.peek(service);
    if (!st?.breaker && !st?.remediations.length) {
      this.audit(now, operator, 'breaker-reset', `${operator} reset the breaker of ${service}, but it was closed with no remediations counted`, false, service);
      return;
    }
    const was = st.breaker ? 'closed the open breaker' : 'cleared the remediation count';
    st.breaker = null;
    st.remediations = [];
    this.audit(now, operator, 'breaker-reset', `${operator} ${was} of ${service}${said(reason)}; automation may act on it again`, true, service);
  }

  private setLimits(p: SetLimitsPayload, now: number): void {
    const { operator, service, reason } = p;
    const given: Partial<Bounds> = {
      actionsPerHour: p.actionsPerHour,
      maxInstanceShare: p.maxInstanceShare,
      maxRemediations: p.breaker?.maxRemediations,
      windowMs: p.breaker?.windowMs,
    };
    const before = this.limitsOf(service);
    const all = (this.s.limits ??= {});
    const own = has(all, service) ? all[service]! : (all[service] = {});
    const parts: string[] = [];
    for (const name of BOUND_NAMES) {
      const value = given[name];
      if (value === undefined) continue;
      own[name] = { value, by: operator, since: now, reason };
      const was = before[name];
      const used = name === 'actionsPerHour' ? `; ${this.peek(service)?.grants.length ?? 0} used in the last hour` : '';
      parts.push(`${BOUND_LABEL[name]} ${boundText(name, value)} (was ${boundText(name, was.value)} from ${was.source}${used})`);
    }
    this.audit(now, operator, 'limits-set', `${operator} set runtime limits of ${service}: ${parts.join(', ')}${said(reason)}; they win over config until cleared (\`zt limits clear ${service}\`)`, true, service);
    this.tick(now);
  }

  private clearLimits({ operator, service, reason }: ClearLimitsPayload, now: number): void {
    const own = this.runtimeOf(service);
    if (!own) {
      this.audit(now, operator, 'limits-clear', `${operator} cleared the runtime limits of ${service}, but it had none; config applies`, false, service);
      return;
    }
    const configured = this.configured(service);
    const parts = BOUND_NAMES.flatMap((name) => {
      const r = own[name];
      return r ? [`${BOUND_LABEL[name]} ${boundText(name, r.value)} → ${boundText(name, configured[name].value)} from ${configured[name].source}`] : [];
    });
    delete this.s.limits![service];
    this.audit(now, operator, 'limits-clear', `${operator} cleared the runtime limits of ${service} (${parts.join(', ')})${said(reason)}; config applies again`, true, service);
    this.tick(now);
  }

  // ---- permits ----

  requestPermit(req: PermitRequest, now: number): PermitVerdict {
    this.tick(now);
    const verdict = this.decide(req, now);
    this.s.decisions.push({
      at: iso(now),
      service: req.service,
      incidentId: req.incidentId,
      action: req.action ?? null,
      verdict: verdict.verdict,
      ...(verdict.verdict === 'granted' ? { permitId: verdict.permitId } : {}),
      reason: verdict.reason,
    });
    if (this.s.decisions.length > DECISION_LIMIT) this.s.decisions.splice(0, this.s.decisions.length - DECISION_LIMIT);
    this.version++;
    return verdict;
  }

  releasePermit({ permitId, outcome, action }: PermitRelease, now: number): PermitReleaseResult {
    this.tick(now);
    const record = this.s.permits.find((p) => p.permitId === permitId);
    if (!record) return { released: false, summary: `unknown permit ${permitId}`, breakerOpened: false };
    if (record.outcome) return { released: false, summary: `permit ${permitId} was already released (${record.outcome})`, breakerOpened: false };
    record.outcome = outcome;
    const st = this.service(record.service);
    const heldLease = st.lease?.permitId === permitId;
    if (heldLease) st.lease = null;
    const refunded = outcome === 'unused' && this.refund(st, record);
    let breakerOpened = false;
    if (outcome === 'verified') {
      const b = this.bounds(record.service);
      st.remediations.push(now);
      if (!st.breaker && st.remediations.length >= b.maxRemediations) {
        const reason = `recurring: ${record.service} was remediated ${st.remediations.length} times in the last ${spanText(b.windowMs)}; this is a problem for humans`;
        st.breaker = { openedAt: now, reason };
        this.audit(now, 'governor', 'breaker-open', `breaker of ${record.service} opened: ${reason}`, true, record.service);
        breakerOpened = true;
      }
    }
    this.version++;
    const freed = heldLease ? `; ${record.service} is free` : '';
    const under = action ? `, ${action}` : '';
    const slot = refunded ? '; its budget slot is given back' : '';
    return { released: true, summary: `released ${permitId} of ${record.incidentId} (${outcome}${under})${freed}${slot}`, breakerOpened };
  }

  /** A lease no action was taken under gives its budget slot back: it was a reservation, not an action. */
  private refund(st: ServiceState, record: PermitRecord): boolean {
    const at = record.grantedAt === undefined ? -1 : st.grants.indexOf(record.grantedAt);
    if (at < 0) return false;
    st.grants.splice(at, 1);
    return true;
  }

  private decide(req: PermitRequest, now: number): PermitVerdict {
    const { service } = req;
    const action = actionText(req.action ?? null);
    if (!this.knows(service)) {
      return { verdict: 'escalate', reason: `unknown service "${service}" (configured: ${this.s.settings.knownServices.join(', ')})` };
    }
    const st = this.peek(service);
    // The same request asked again (a retried activity): the same answer, counted once.
    if (req.requestId && st?.lease?.requestId === req.requestId) {
      const again = this.granted(st.lease, undefined, 'already granted to this request');
      return st.lease.action === null ? { ...again, maxInstanceShare: this.bounds(service).maxInstanceShare } : again;
    }

    const m = this.s.mode;
    if (m.mode === 'frozen') {
      return { verdict: 'escalate', reason: `automation is frozen (mode frozen since ${iso(m.since)}, set by ${m.by}${said(m.reason)})` };
    }
    const maintenance = this.maintenanceOf(service, now);
    if (maintenance) {
      const whose = maintenance.source === 'operator' ? `${maintenance.by}${said(maintenance.reason)}` : `configured window ${maintenance.window}`;
      return { verdict: 'observe', reason: `${service} is in maintenance until ${maintenance.until} (${whose}): would run ${action}; plan recorded, no action taken` };
    }
    if (m.mode === 'observe') {
      return { verdict: 'observe', reason: `observe mode (set by ${m.by}${said(m.reason)}): would run ${action} on ${service}; plan recorded, no action taken` };
    }
    if (st?.breaker) {
      return { verdict: 'escalate', reason: `${st.breaker.reason} (breaker open since ${iso(st.breaker.openedAt)}; \`zt breaker reset ${service}\` closes it)` };
    }
    const b = this.bounds(service);
    // A lease's action is not chosen yet: the incident applies this same rule to it, with the share granted.
    const takesOutOfService = req.lease ? 0 : req.takesOutOfService;
    const radius = checkBlastRadius({ takesOutOfService, instances: req.instances, maxInstanceShare: b.maxInstanceShare });
    if (!radius.allowed) return { verdict: 'escalate', reason: `${radius.reason}; ${action} on ${service} needs a human` };
    const grants = st?.grants ?? [];
    if (grants.length >= b.actionsPerHour) {
      const nextSlot = grants.length ? Math.min(...grants) + HOUR_MS : null;
      return {
        verdict: 'escalate',
        reason:
          `action budget spent: ${grants.length} automatic action(s) on ${service} in the last hour (limit ${b.actionsPerHour})` +
          (nextSlot !== null ? `; the next slot opens at ${iso(nextSlot)}` : ''),
        ...(nextSlot !== null ? { retryAfterMs: nextSlot - now } : {}),
      };
    }
    const lease = st?.lease;
    if (lease && lease.incidentWorkflowId !== req.incidentWorkflowId) {
      return {
        verdict: 'wait',
        reason: `${service} is being remediated by ${lease.incidentId} (${actionText(lease.action)}, ${lease.permitId}); one acting incident per service, lease until ${iso(lease.expiresAt)}`,
        retryAfterMs: Math.max(1, Math.min(MAX_WAIT_MS, lease.expiresAt - now)),
      };
    }
    return this.grant(req, b, now, radius.limit, lease ?? null);
  }

  private grant(req: PermitRequest, b: Bounds, now: number, radiusLimit: number, held: Lease | null): PermitVerdict {
    const st = this.service(req.service);
    // Re-entering over a lease it never said it used (its answer was lost, say): that one gives its slot back.
    const superseded = held && held.action === null ? this.s.permits.find((p) => p.permitId === held.permitId && p.outcome === null) : undefined;
    if (superseded) {
      superseded.outcome = 'unused';
      this.refund(st, superseded);
    }
    const permitId = `${this.permitPrefix}-${++this.s.permitSeq}`;
    const lease: Lease = {
      incidentWorkflowId: req.incidentWorkflowId,
      incidentId: req.incidentId,
      permitId,
      action: req.lease ? null : (req.action ?? null),
      requestId: req.requestId ?? null,
      grantedAt: now,
      expiresAt: now + this.s.settings.leaseTtlMs,
    };
    st.lease = lease;
    st.grants.push(now);
    this.s.permits.push({ permitId, service: req.service, incidentId: req.incidentId, outcome: null, ...(req.lease ? { grantedAt: now } : {}) });
    if (this.s.permits.length > PERMIT_LIMIT) this.s.permits.splice(0, this.s.permits.length - PERMIT_LIMIT);
    const reentry = held ? `, re-entering the lease it held (${held.permitId}${superseded ? ', unused' : ''})` : '';
    const budget = `action ${st.grants.length} of ${b.actionsPerHour} this hour`;
    if (req.lease) {
      return {
        ...this.granted(lease, undefined, `a lease to ${req.incidentId} while it diagnoses ${req.service}${reentry}: ${budget}; its action may take at most ${Math.round(b.maxInstanceShare * 100)}% of the instances out at once`),
        maxInstanceShare: b.maxInstanceShare,
      };
    }
    return this.granted(
      lease,
      radiusLimit,
      `${req.action} on ${req.service} for ${req.incidentId}${reentry}: ${budget}, ` + `${req.takesOutOfService} of ${req.instances} instance(s) out at once (bound ${radiusLimit})`,
    );
  }

  private granted(lease: Lease, maxOutOfService: number | undefined, reason: string): PermitVerdict & { verdict: 'granted' } {
    return {
      verdict: 'granted',
      permitId: lease.permitId,
      reason: `granted ${reason}; lease until ${iso(lease.expiresAt)}`,
      leaseExpiresAt: iso(lease.expiresAt),
      ...(maxOutOfService !== undefined ? { maxOutOfService } : {}),
    };
  }

  // ---- the view (pure: queries must not change state) ----

  view(now: number): GovernorView {
    const { actionsPerHour, maxInstanceShare, leaseTtlMs, breaker } = this.s.settings;
    const m = this.s.mode;
    return {
      asOf: iso(now),
      mode: { mode: m.mode, since: iso(m.since), by: m.by, ...(m.reason ? { reason: m.reason } : {}) },
      operators: [...this.s.settings.operators],
      settings: { actionsPerHour, maxInstanceShare, leaseTtlMs, breaker: { ...breaker } },
      services: this.serviceNames().map((name) => this.serviceView(name, now)),
      audit: [...this.s.audit],
      decisions: [...this.s.decisions],
      generation: this.s.generation,
    };
  }

  private serviceView(name: string, now: number): ServiceGovernance {
    const st = this.peek(name);
    const b = this.bounds(name);
    const grants = (st?.grants ?? []).filter((t) => t > now - HOUR_MS);
    const lease = st?.lease && st.lease.expiresAt > now ? st.lease : null;
    const limits = this.limitsOf(name);
    return {
      service: name,
      limits: { actionsPerHour: limits.actionsPerHour, maxInstanceShare: limits.maxInstanceShare, breaker: { maxRemediations: limits.maxRemediations, windowMs: limits.windowMs } },
      maintenance: this.maintenanceOf(name, now),
      budget: { used: grants.length, limit: b.actionsPerHour, nextSlotAt: grants.length >= b.actionsPerHour && grants.length ? iso(Math.min(...grants) + HOUR_MS) : null },
      maxInstanceShare: b.maxInstanceShare,
      lease: lease
        ? {
            incidentWorkflowId: lease.incidentWorkflowId,
            incidentId: lease.incidentId,
            permitId: lease.permitId,
            action: lease.action,
            grantedAt: iso(lease.grantedAt),
            expiresAt: iso(lease.expiresAt),
          }
        : null,
      breaker: {
        open: st?.breaker != null,
        openedAt: st?.breaker ? iso(st.breaker.openedAt) : null,
        reason: st?.breaker?.reason ?? null,
        remediations: (st?.remediations ?? []).filter((t) => t > now - b.windowMs).length,
        maxRemediations: b.maxRemediations,
        windowMs: b.windowMs,
      },
      windows: this.windowsOf(name),
    };
  }

  // ---- internals ----

  private maintenanceOf(service: string, now: number): ServiceGovernance['maintenance'] {
    const runtime = this.peek(service)?.maintenance;
    if (runtime && runtime.until > now) return { source: 'operator', until: iso(runtime.until), by: runtime.by, reason: runtime.reason };
    const window = activeWindow(this.windowsOf(service), now);
    return window ? { source: 'window', until: iso(window.until), window: window.label } : null;
  }

  /** The bounds in force: runtime limit > config's per-service override > config's global value. */
  private bounds(service: string): Bounds {
    const configured = this.configured(service);
    const runtime = this.runtimeOf(service);
    return {
      actionsPerHour: runtime?.actionsPerHour?.value ?? configured.actionsPerHour.value,
      maxInstanceShare: runtime?.maxInstanceShare?.value ?? configured.maxInstanceShare.value,
      maxRemediations: runtime?.maxRemediations?.value ?? configured.maxRemediations.value,
      windowMs: runtime?.windowMs?.value ?? configured.windowMs.value,
    };
  }

  /** What config gives, without runtime limits: the service's override, else the global value. */
  private configured(service: string): Record<BoundName, Configured> {
    const g = this.s.settings;
    const o = has(g.services, service) ? g.services[service] : undefined;
    const pick = (own: number | undefined, global: number): Configured => (own !== undefined ? { value: own, source: 'config' } : { value: global, source: 'default' });
    return {
      actionsPerHour: pick(o?.actionsPerHour, g.actionsPerHour),
      maxInstanceShare: pick(o?.maxInstanceShare, g.maxInstanceShare),
      maxRemediations: pick(o?.breaker?.maxRemediations, g.breaker.maxRemediations),
      windowMs: pick(o?.breaker?.windowMs, g.breaker.windowMs),
    };
  }

  /** Each bound in force with where it comes from (the same values as bounds()). */
  private limitsOf(service: string): Record<BoundName, EffectiveLimit> {
    const configured = this.configured(service);
    const runtime = this.runtimeOf(service);
    const one = (name: BoundName): EffectiveLimit => {
      const r = runtime?.[name];
      const config = configured[name];
      return r ? { value: r.value, source: 'runtime', config, runtime: { by: r.by, since: iso(r.since), reason: r.reason } } : { value: config.value, source: config.source, config };
    };
    return { actionsPerHour: one('actionsPerHour'), maxInstanceShare: one('maxInstanceShare'), maxRemediations: one('maxRemediations'), windowMs: one('windowMs') };
  }

  /** The service's runtime limits; undefined when it has none. */
  private runtimeOf(service: string): Partial<Record<BoundName, RuntimeLimit>> | undefined {
    const all = this.s.limits;
    const own = all && has(all, service) ? all[service] : undefined;
    return own && Object.keys(own).length ? own : undefined;
  }

  private servicesWithRuntimeLimits(): string[] {
    return Object.keys(this.s.limits ?? {}).filter((name) => this.runtimeOf(name) !== undefined).sort();
  }

  private windowsOf(service: string) {
    const windows = this.s.settings.maintenance;
    return has(windows, service) ? (windows[service] ?? []) : [];
  }

  /** Services with configured windows, and those whose window was in force when their config went away. */
  private namesWithWindows(): string[] {
    const configured = Object.keys(this.s.settings.maintenance);
    const lingering = Object.entries(this.s.services)
      .filter(([name, st]) => st.window !== null && !configured.includes(name))
      .map(([name]) => name);
    return [...configured, ...lingering];
  }

  private serviceNames(): string[] {
    const names = new Set([
      ...this.s.settings.knownServices,
      ...Object.keys(this.s.settings.maintenance),
      ...Object.keys(this.s.services),
      ...this.servicesWithRuntimeLimits(),
    ]);
    return [...names].sort();
  }

  private allowed(operator: string): boolean {
    const list = this.s.settings.operators;
    return list.length === 0 || list.includes(operator);
  }

  private knows(service: string): boolean {
    const list = this.s.settings.knownServices;
    return list.length === 0 || list.includes(service);
  }

  private peek(service: string): ServiceState | undefined {
    return has(this.s.services, service) ? this.s.services[service] : undefined;
  }

  private service(service: string): ServiceState {
    const existing = this.peek(service);
    if (existing) return existing;
    const fresh: ServiceState = { lease: null, grants: [], remediations: [], breaker: null, maintenance: null, window: null };
    this.s.services[service] = fresh;
    return fresh;
  }

  private audit(now: number, actor: string, kind: AuditEntry['kind'], summary: string, applied: boolean, service?: string): void {
    this.s.audit.push({ seq: ++this.s.auditSeq, at: iso(now), actor, kind, ...(service ? { service } : {}), summary, applied });
    if (this.s.audit.length > AUDIT_LIMIT) this.s.audit.splice(0, this.s.audit.length - AUDIT_LIMIT);
    this.version++;
  }
}
