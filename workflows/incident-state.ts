// All state of one incident in one plain class. Signal handlers call exactly one method here; the
// workflow reads it at step boundaries. Pure and deterministic: time comes from the workflow's clock.
import type { Alert, RiskFlag } from '../signals/alert';
import { humanSignalPayload, type HumanSignalName, type ResolvePayload } from '../signals/human';
import type {
  ActionRecord,
  HumanAct,
  IncidentInput,
  IncidentOutcome,
  IncidentPhase,
  IncidentReport,
  IncidentStatus,
  TimelineEntry,
} from '../signals/incident';
import { classOfAlert } from '../policy/alert-classes';
import type { ActionName, AlertWitness, Diagnosis, Evidence, IncidentClass } from '../policy/types';
import type { HumanResolution, TrafficSample } from '../signals/incident';
import type { PermitVerdict } from '../signals/governor';

export type GrantedPermit = Extract<PermitVerdict, { verdict: 'granted' }>;

/** Why automation may not take its next step right now; null means it may. */
export type Hold = 'closed' | 'reverting' | 'escalated' | 'human-control' | 'paused' | 'awaiting-approval';

/** Alert timeline entries are kept for the first few fingerprints only, so a storm cannot bloat state. */
const MAX_DISTINCT_ALERTS_IN_TIMELINE = 50;

function uniqueByName<T extends { name: string }>(items: T[]): T[] {
  return items.filter((item, i) => items.findIndex((other) => other.name === item.name) === i);
}

export class IncidentState {
  /** Bumped on every change, so the workflow can wait for "anything happened". */
  version = 0;
  step: 'diagnosing' | 'acting' | 'verifying' = 'diagnosing';
  waitingFor: Hold | null = null;
  paused: { by: string } | null = null;
  controller: string | null = null;
  frozen = false;
  escalation: { reason: string; at: string } | null = null;
  pendingApproval: { action: ActionName; reason: string } | null = null;
  approval: 'approved' | 'rejected' | null = null;
  /** Who sent the last approve, so an excluded step can be handed to them. */
  approvedBy: string | null = null;
  revertsRequested = 0;
  revertsDone = 0;
  failedAttempts = 0;
  attempts = 0;
  /** Diagnose-and-act rounds since the start or the last release by a human. */
  rounds = 0;
  diagnosis: Diagnosis | null = null;
  /** Instances PM2 ran at the last diagnosis, and which of them were serving (online and healthy). */
  instanceCount = 0;
  servingPmIds: number[] = [];
  /**
   * Whether actions go through the governor (permits, budgets, one acting incident per service).
   * Incidents started before the governor existed replay without it (see openIncident).
   */
  governed = true;
  /** Whether a refused action escalates at once (older histories counted it as a failed attempt and tried again). */
  refusalsEscalate = true;
  /** Whether an action finished by a retried attempt counts as performed, so its undo runs (older histories dropped it). */
  retriedWorkKeepsUndo = true;
  /** Whether the end of the incident resolves its page and notifies (older histories only logged a report). */
  notifies = true;
  /** A page went out for this incident (escalation), so its end resolves it. */
  paged = false;
  /** Whether the report measures user impact and learns from humans (older histories did neither). */
  reportsFully = true;
  /** The request counters when the incident opened, for the user-impact estimate. */
  trafficAtOpen: TrafficSample | null = null;
  trafficMeasured = false;
  /** The traffic measured as the incident opened, still on its way; the report awaits it. */
  trafficBaseline: Promise<void> = Promise.resolve();
  /** Newer runs: diagnosis does not wait for the traffic baseline (patch act-before-traffic-baseline). */
  actsBeforeTrafficBaseline = false;
  /** Newer runs: a witnessed failure is diagnosed in local activities (patch diagnose-locally-when-witnessed). */
  diagnosesLocally = false;
  private readonly witnesses = new Map<number, AlertWitness>();
  /** The evidence behind the latest diagnosis: what a signature drafted from a human's resolution is made of. */
  lastEvidence: Evidence | null = null;
  /** Rounds spent waiting for another incident to finish acting on the same service. */
  governorWaits = 0;
  /** Newer runs: the governor's lease is asked beside a witnessed failure's evidence (patch lease-while-diagnosing). */
  leasesWhileDiagnosing = false;
  /** Newer runs: a witnessed failure's evidence and classification are one local activity beside the lease (patch incident-changes-up-to-2026-12-01). */
  classifiesBesideLease = false;
  /** A lease granted while diagnosing and not yet used or handed back: the action chosen is checked against it. */
  lease: GrantedPermit | null = null;
  /**
   * Incidents started before this behaviour showed escalation only once the step in flight finished; the
   * phase is a search attribute, so their histories must replay with the old timing (see openIncident).
   */
  statesShownAtOnce = true;
  /** Last search-attribute values sent, so unchanged ones are not upserted again. */
  publishedAttributes = '';
  readonly actions: ActionRecord[] = [];
  readonly humans: HumanAct[] = [];
  readonly timeline: TimelineEntry[] = [];
  resolution: HumanResolution | null = null;
  outcome: IncidentOutcome | null = null;
  endedAt: string | null = null;
  private readonly alertFingerprints = new Map<string, { name: string; class: IncidentClass | null; status: Alert['status'] }>();
  private readonly alertNames = new Set<string>();
  private readonly alertInstances = new Set<number>();
  private readonly riskFlags = new Set<RiskFlag>();
  private alertsReceived = 0;
  private startAlertJson: string | undefined;
  private lastAlertName: string;
  private updatedAt: string;

  constructor(
    readonly input: IncidentInput,
    readonly incidentId: string,
    readonly workflowId: string,
    readonly runId: string,
    readonly startedAt: string,
  ) {
    this.lastAlertName = input.alert.name;
    this.updatedAt = startedAt;
    // The alert itself arrives as the `alert` signal of signalWithStart and is counted there.
    this.note('detected', `Detected by ${input.alert.source}: ${input.alert.name} on ${input.service}. ${input.alert.summary}`.trim());
  }

  get service(): string {
    return this.input.service;
  }

  get detectedAt(): string {
    const t = Date.parse(this.input.alert.startsAt);
    return Number.isFinite(t) && t <= Date.parse(this.startedAt) ? new Date(t).toISOString() : this.startedAt;
  }

  get closed(): boolean {
    return this.outcome !== null;
  }

  /** The step boundary rule: humans and escalations always win over automation. */
  hold(): Hold | null {
    if (this.closed) return 'closed';
    if (this.revertsRequested > this.revertsDone) return 'reverting';
    if (this.frozen) return 'escalated';
    if (this.controller) return 'human-control';
    if (this.paused) return 'paused';
    if (this.pendingApproval) return 'awaiting-approval';
    return null;
  }

  phase(): IncidentPhase {
    if (this.closed) return 'closed';
    if (this.revertsRequested > this.revertsDone) return 'reverting';
    // Escalation and a human in control are states, shown at once, even while a step is finishing.
    if (this.statesShownAtOnce && this.frozen) return 'escalated';
    if (this.statesShownAtOnce && this.controller) return 'human-control';
    if (this.waitingFor && this.waitingFor !== 'closed') return this.waitingFor;
    return this.step;
  }

  // ---- inbound messages (one method per signal) ----

  receiveAlert(raw: unknown): void {
    // signalWithStart sends the first alert twice in one request, as the input and as this signal: that copy
    // is the input itself, which the ingress validated. Taking it as it is keeps zod (and the alert schema)
    // out of every new incident's first workflow task, on the path to its first action.
    if (this.isStartAlert(raw)) return this.countAlert(this.input.alert);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred evaluation, see above
    const { alertSchema } = require('../signals/alert') as typeof import('../signals/alert');
    const parsed = alertSchema.safeParse(raw);
    if (!parsed.success) {
      this.note('signal-rejected', `Ignored an invalid alert signal: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return;
    }
    this.countAlert(parsed.data);
  }

  receiveHuman(signal: HumanSignalName, raw: unknown): void {
    const parsed = humanSignalPayload(signal).safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
      this.note('signal-rejected', `Ignored ${signal}: ${problems}. Send a JSON object like {"operator":"alice"}.`);
      return;
    }
    const { operator, reason } = parsed.data;
    if (!this.mayOperate(operator)) {
      this.note('signal-ignored', `Ignored ${signal} from ${operator}: not on the operator allowlist.`, operator);
      return;
    }
    this.humans.push({ operator, signal, at: this.now(), ...(reason ? { reason } : {}) });
    const said = reason ? ` (${reason})` : '';
    switch (signal) {
      case 'pause':
        this.paused = { by: operator };
        this.note('paused', `${operator} paused automation${said}; it stops at the next step boundary.`, operator);
        break;
      case 'resume':
        this.paused = null;
        this.note('resumed', `${operator} resumed automation${said}.`, operator);
        break;
      case 'takeOver':
        this.controller = operator;
        this.note('taken-over', `${operator} took control${said}; no automatic action runs until release.`, operator);
        break;
      case 'release':
        this.release(operator, said);
        break;
      case 'approve':
      case 'reject':
        this.decideApproval(signal, operator, said);
        break;
      case 'resolve':
        this.resolveByHuman(parsed.data as ResolvePayload);
        break;
      case 'revert':
        this.revertsRequested++;
        this.note('revert-requested', `${operator} asked to revert every recorded action${said}.`, operator);
        break;
    }
  }

  // ---- what the workflow records ----

  note(kind: string, summary: string, operator?: string): void {
    this.updatedAt = this.now();
    this.version++;
    this.timeline.push({ at: this.updatedAt, kind, summary, ...(operator ? { operator } : {}) });
  }

  /** What the governor's blast-radius bound needs from the evidence behind the diagnosis. */
  recordCapacity(evidence: Evidence): void {
    this.lastEvidence = evidence;
    this.instanceCount = evidence.instances.length;
    this.servingPmIds = evidence.instances
      .filter((i) => {
        const last = i.samples.at(-1);
        return last?.status === 'online' && last.health === 'ok';
      })
      .map((i) => i.pmId);
  }

  recordDiagnosis(diagnosis: Diagnosis): void {
    this.diagnosis = diagnosis;
    const what = diagnosis.healthy ? 'healthy' : (diagnosis.class ?? 'unclear');
    this.note(
      'classified',
      `Classified as ${what} (signature ${diagnosis.signatureId}, severity ${diagnosis.severity}, confidence ${diagnosis.confidence.toFixed(2)}): ${diagnosis.reasons.join(' ')}`,
    );
  }

  escalate(reason: string): void {
    this.frozen = true;
    this.pendingApproval = null;
    this.escalation = { reason, at: this.now() };
    this.note('escalated', `Escalated to a human and froze automation: ${reason}`);
  }

  requestApproval(action: ActionName, reason: string): void {
    this.pendingApproval = { action, reason };
    this.approval = null;
    this.note('awaiting-approval', `${action} needs approval: ${reason}. Signal approve or reject.`);
  }

  /** An approved step zero-touch may never run: the human who approved it now holds the incident. */
  handOver(action: ActionName, reason: string): void {
    const approver = this.approvedBy ?? 'the approver';
    this.controller = approver;
    this.approval = null;
    this.note('handed-over', `${approver} holds the incident to carry out ${action} by hand: ${reason}. Release or resolve when done.`, approver);
  }

  /** The first close wins: a human's resolve during a running step is not overwritten by its result. */
  close(outcome: IncidentOutcome, summary: string): void {
    if (this.closed) return;
    this.outcome = outcome;
    this.endedAt = this.now();
    this.note('closed', summary);
  }

  /** What the alerts said, handed to diagnosis as part of the evidence. */
  alertFacts(): Evidence['alerts'] {
    return {
      names: [...this.alertNames],
      firing: uniqueByName([...this.alertFingerprints.values()].filter((a) => a.status === 'firing')).map(({ name, class: c }) => ({ name, class: c })),
      count: this.alertsReceived,
      risk: [...this.riskFlags],
      instances: [...this.alertInstances],
      ...(this.witnesses.size ? { witnessed: [...this.witnesses.values()] } : {}),
    };
  }

  /** Whether the sentinel's own probes of a failing instance are at hand (diagnosis may be one quick look). */
  get witnessed(): boolean {
    return this.witnesses.size > 0;
  }

  /** The sentinel's latest first-hand probes per instance; an instance it says is fine again has none. */
  private keepWitness(alert: Alert): void {
    if (alert.source !== 'sentinel' || alert.instance === undefined) return;
    if (alert.status === 'resolved') this.witnesses.delete(alert.instance);
    else if (alert.witnessed) this.witnesses.set(alert.instance, { ...alert.witnessed, instance: alert.instance });
  }

  status(): IncidentStatus {
    const d = this.diagnosis;
    const firing = [...this.alertFingerprints.values()].filter((a) => a.status === 'firing').length;
    return {
      incidentId: this.incidentId,
      workflowId: this.workflowId,
      key: this.input.key,
      service: this.service,
      phase: this.phase(),
      class: d?.class ?? null,
      severity: d?.severity ?? null,
      confidence: d?.confidence ?? null,
      outcome: this.outcome,
      paused: this.paused !== null,
      pausedBy: this.paused?.by ?? null,
      controller: this.controller,
      frozen: this.frozen,
      escalation: this.escalation,
      pendingApproval: this.pendingApproval,
      failedAttempts: this.failedAttempts,
      actions: this.actions,
      alerts: {
        received: this.alertsReceived,
        firing,
        resolved: this.alertFingerprints.size - firing,
        lastName: this.lastAlertName,
      },
      startedAt: this.startedAt,
      detectedAt: this.detectedAt,
      updatedAt: this.updatedAt,
    };
  }

  report(): IncidentReport {
    const endedAt = this.endedAt ?? this.now();
    const d = this.diagnosis;
    return {
      incidentId: this.incidentId,
      workflowId: this.workflowId,
      runId: this.runId,
      key: this.input.key,
      service: this.service,
      class: d?.class ?? null,
      signatureId: d?.signatureId ?? null,
      severity: d?.severity ?? null,
      confidence: d?.confidence ?? null,
      outcome: this.outcome ?? 'resolved-by-human',
      reasons: d?.reasons ?? [],
      actions: this.actions,
      failedAttempts: this.failedAttempts,
      escalation: this.escalation,
      humans: this.humans,
      alertsReceived: this.alertsReceived,
      detectedAt: this.detectedAt,
      startedAt: this.startedAt,
      endedAt,
      ttrSeconds: Math.max(0, (Date.parse(endedAt) - Date.parse(this.detectedAt)) / 1000),
      resolution: this.resolution,
    };
  }

  // ---- internals ----

  private now(): string {
    return new Date().toISOString();
  }

  /** A signal whose payload is exactly the alert this incident was started with (compared as JSON). */
  private isStartAlert(raw: unknown): boolean {
    if (this.startAlertJson === undefined) this.startAlertJson = JSON.stringify(this.input.alert);
    return JSON.stringify(raw) === this.startAlertJson;
  }

  private countAlert(alert: Alert): void {
    this.alertsReceived += alert.count;
    this.keepWitness(alert);
    this.lastAlertName = alert.name;
    this.alertNames.add(alert.name);
    if (alert.instance !== undefined) this.alertInstances.add(alert.instance);
    for (const flag of alert.risk) this.riskFlags.add(flag);
    const previous = this.alertFingerprints.get(alert.fingerprint)?.status;
    if (previous === alert.status) {
      this.version++;
      return;
    }
    if (previous === undefined && this.alertFingerprints.size >= MAX_DISTINCT_ALERTS_IN_TIMELINE) {
      this.version++;
      return;
    }
    this.alertFingerprints.set(alert.fingerprint, { name: alert.name, class: classOfAlert(alert.name, alert.labels), status: alert.status });
    if (this.alertsReceived > 1) {
      this.note('alert', `Alert ${alert.status}: ${alert.name} from ${alert.source}${alert.instance !== undefined ? ` (instance ${alert.instance})` : ''}.`);
    }
  }

  private mayOperate(operator: string): boolean {
    const allowed = this.input.operators ?? [];
    return allowed.length === 0 || allowed.includes(operator);
  }

  private release(operator: string, said: string): void {
    const wasFrozen = this.frozen;
    this.controller = null;
    this.frozen = false;
    this.pendingApproval = null;
    // A human who releases an escalated incident gives automation a fresh budget of attempts and rounds.
    if (wasFrozen) {
      this.failedAttempts = 0;
      this.rounds = 0;
    }
    this.note('released', `${operator} handed control back to automation${said}${wasFrozen ? '; the attempt budget starts again' : ''}.`, operator);
  }

  private decideApproval(signal: 'approve' | 'reject', operator: string, said: string): void {
    if (!this.pendingApproval) {
      this.note('signal-ignored', `${operator} sent ${signal} but nothing awaits approval.`, operator);
      return;
    }
    this.approval = signal === 'approve' ? 'approved' : 'rejected';
    this.approvedBy = signal === 'approve' ? operator : null;
    const action = this.pendingApproval.action;
    this.pendingApproval = null;
    this.note(this.approval, `${operator} ${this.approval} ${action}${said}.`, operator);
  }

  private resolveByHuman(payload: ResolvePayload): void {
    this.resolution = {
      operator: payload.operator,
      ...(payload.rootCause ? { rootCause: payload.rootCause } : {}),
      ...(payload.fix ? { fix: payload.fix } : {}),
      ...(payload.class ? { class: payload.class } : {}),
      ...(payload.action ? { action: payload.action } : {}),
    };
    const cause = payload.rootCause ? ` Root cause: ${payload.rootCause}.` : '';
    this.close('resolved-by-human', `${payload.operator} resolved the incident.${cause}`);
  }
}
