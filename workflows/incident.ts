// incidentWorkflow: one open incident, from the first alert to its report.
//   detect (the alert that started us) → diagnose → classify → gate → act → verify → report
// Deterministic: every observation and every change to production is an activity; this file decides.
// Humans win at every step boundary: pause, takeOver, escalation and revert are checked before each step.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RetryPolicy, SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import { alertSignal, humanSignals, statusQuery, timelineQuery } from '../signals/contract';
import { HUMAN_SIGNALS } from '../signals/human';
import { incidentIdFor, type ActionRecord, type IncidentInput, type IncidentReport } from '../signals/incident';
import {
  IncidentClass,
  IncidentConfidence,
  IncidentOutcome,
  IncidentPhase,
  IncidentService,
  IncidentSeverity,
} from '../signals/search-attributes';
import type { ActionName, Diagnosis, Evidence } from '../policy/types';
import type { EvidenceAndDiagnosis } from '../activities/types';
import type { PermitOutcome, PermitVerdict } from '../signals/governor';
import { isExcludedAction, type AutomaticAction } from '../policy/actions';
import { afterRecoveryMs, runAction, runUndo } from './action-dispatch';
import { checkBlastRadius } from './blast-radius';
import { decide, type Decision } from './gate';
import { undoAfterRecoveryWorkflow } from './undo-after-recovery';
import { reportDeliveryWorkflow } from './report-delivery';
import { IncidentState, type GrantedPermit } from './incident-state';

// Retries absorb transient infrastructure errors (a PM2 socket hiccup); they are not recovery attempts.
const transient: RetryPolicy = { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 5 };
const terminal = ['UnknownServiceError', 'InvalidRequestError'];

const observe = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { ...transient, nonRetryableErrorTypes: terminal },
});
// Diagnosis — evidence and classification — runs as local activities in newer runs when the sentinel
// witnessed the failure: then it is one PM2 look and a match, tens of milliseconds, and a server round trip
// per step would be most of the decision. Without a witness evidence means seconds of probing, which must
// not hold the workflow task open (at 50 concurrent incidents it made tasks time out and re-run): ordinary
// activities. The governor's permit is always an activity: under load it waits on the governor.
const diagnoseLocally = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
  localRetryThreshold: '5s',
  retry: { ...transient, nonRetryableErrorTypes: terminal },
});
// The lease asked beside a witnessed failure's evidence, inside the incident's first workflow task: once and
// briefly. Any failure only means the permit is asked in line afterwards, as before leases existed.
const leaseLocally = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2s',
  retry: { maximumAttempts: 1 },
});
// Heartbeats let a dead worker's action be retried elsewhere in seconds; idempotency keys make that safe.
const change = proxyActivities<Activities>({
  startToCloseTimeout: '60s',
  heartbeatTimeout: '10s',
  retry: { ...transient, maximumAttempts: 3, nonRetryableErrorTypes: terminal },
});
const judge = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '15s',
  retry: { ...transient, nonRetryableErrorTypes: terminal },
});
// The user-impact counters: a scrape with its own timeout, so a worker that died while measuring costs
// seconds, not the 30 s of an observation (the report waits for the baseline; nothing else does).
const measure = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { ...transient, maximumAttempts: 3, nonRetryableErrorTypes: terminal },
});
// The governor is one workflow for every incident: in a storm its updates queue (ten in flight) and some are
// aborted when it continues as new. Asking again for up to 3 minutes is waiting in line, not failing; after
// that the incident goes to a human (bench:concurrency: with 5 attempts, 121 of 200 incidents escalated).
const askInLine = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '3m',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s', nonRetryableErrorTypes: terminal },
});
// Reports and pages must eventually get out, however long the ledger or pager is down.
const tell = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: terminal },
});

/** Diagnose-and-act rounds before the workflow admits it is going in circles and asks a human. */
const MAX_ROUNDS = 10;
/** Times an incident waits for another one acting on the same service before it hands over instead. */
const MAX_GOVERNOR_WAITS = 30;
const DEFAULT_GOVERNOR_RETRY_MS = 5_000;

export async function incidentWorkflow(input: IncidentInput): Promise<IncidentReport> {
  const incident = openIncident(input);
  listenTo(incident);
  publish(incident);

  while (await stepBoundary(incident)) {
    // Rounds spent waiting for the governor are not rounds of diagnosis going in circles.
    if (++incident.rounds > MAX_ROUNDS + incident.governorWaits) {
      await escalate(incident, `no resolution after ${MAX_ROUNDS} rounds of diagnosis`);
      continue;
    }
    const diagnosis = await diagnose(incident);
    const decision = decide({ diagnosis, failedAttempts: incident.failedAttempts, followUp: incident.approval });
    await carryOut(incident, decision);
  }
  return await report(incident);
}

function openIncident(input: IncidentInput): IncidentState {
  const info = workflowInfo();
  const incidentId = incidentIdFor(info.firstExecutionRunId, info.startTime);
  const incident = new IncidentState(input, incidentId, info.workflowId, info.runId, info.startTime.toISOString());
  // A run started by this code or later has every change below, and says so with one patch marker instead of
  // nine: each marker is a command and a search-attribute upsert in the incident's first workflow task, the one
  // that decides. Older runs replay their own markers, change by change; the last change (classification
  // beside the lease) came with this marker and has none of its own. Later changes get their own patch.
  const current = patched('incident-changes-up-to-2026-12-01');
  const since = (change: string) => current || patched(change);
  incident.statesShownAtOnce = since('phase-shows-escalation-at-once');
  incident.governed = since('actions-need-governor-permit');
  incident.refusalsEscalate = since('refused-action-escalates-at-once');
  incident.retriedWorkKeepsUndo = since('retried-action-keeps-its-undo');
  incident.notifies = since('notify-resolutions-and-resolve-pages');
  incident.reportsFully = since('report-impact-timings-and-learning');
  incident.actsBeforeTrafficBaseline = since('act-before-traffic-baseline');
  incident.diagnosesLocally = since('diagnose-locally-when-witnessed');
  incident.leasesWhileDiagnosing = since('lease-while-diagnosing');
  incident.classifiesBesideLease = current;
  return incident;
}

/**
 * Where diagnosis runs: local activities for the first look of a newer run whose failure the sentinel
 * witnessed; activities otherwise (older histories, no witness, and later rounds, after an action changed
 * the processes the witness was about).
 */
function diagnosing(incident: IncidentState): typeof observe {
  return incident.diagnosesLocally && incident.witnessed && !incident.diagnosis ? diagnoseLocally : observe;
}

function listenTo(incident: IncidentState): void {
  setHandler(alertSignal, (payload) => incident.receiveAlert(payload));
  for (const name of HUMAN_SIGNALS) setHandler(humanSignals[name], (payload) => incident.receiveHuman(name, payload));
  setHandler(statusQuery, () => incident.status());
  setHandler(timelineQuery, () => incident.timeline);
}

// ---- the steps ----

async function diagnose(incident: IncidentState): Promise<Diagnosis> {
  incident.step = 'diagnosing';
  publish(incident);
  // The traffic baseline waits out a hung instance's scrape timeout: alongside the evidence, never before
  // it, and (newer runs) not before acting either — only the report needs it.
  if (incident.reportsFully && !incident.trafficMeasured) {
    incident.trafficBaseline = measureTrafficAtOpen(incident);
    incident.trafficBaseline.catch(() => undefined); // awaited by the report; a cancellation must not surface here first
  }
  const leases = leasing(incident);
  const leased = leases ? askForLease(incident) : Promise.resolve(false);
  const { evidence, diagnosis } =
    incident.classifiesBesideLease && leases ? await lookAndClassifyBesideLease(incident, leased) : await lookThenClassify(incident, leased);
  incident.recordCapacity(evidence);
  incident.recordDiagnosis(diagnosis);
  publish(incident);
  return diagnosis;
}

/** Evidence, then its classification: two steps, so alerts that arrived meanwhile count too. */
async function lookThenClassify(incident: IncidentState, leased: Promise<boolean>): Promise<EvidenceAndDiagnosis> {
  const [evidence] = await Promise.all([
    diagnosing(incident).collectEvidence.executeWithOptions(
      { summary: `Collect evidence for ${incident.service}: PM2 state, health probes and error logs of every instance` },
      [{ service: incident.service, alerts: incident.alertFacts() }],
    ),
    incident.actsBeforeTrafficBaseline ? undefined : incident.trafficBaseline,
  ]);
  // A granted lease says the governor's mode is auto: classification need not read it again.
  const governorMode = (await leased) ? ({ governorMode: 'auto' } as const) : {};
  const diagnosis = await classify(incident, evidence, governorMode);
  return { evidence, diagnosis };
}

/**
 * The first look at a witnessed failure (newer runs): evidence and classification in one local activity
 * beside the lease, classified in the mode a granted lease proves (auto) — one hand-over fewer before the
 * first action. No signal can arrive inside that one workflow task, so classifying with the alerts known
 * before the evidence loses nothing. Without the lease, classification runs again and reads the governor.
 */
async function lookAndClassifyBesideLease(incident: IncidentState, leased: Promise<boolean>): Promise<EvidenceAndDiagnosis> {
  const [looked, granted] = await Promise.all([
    diagnoseLocally.diagnoseWitnessedFailure.executeWithOptions(
      { summary: `Diagnose ${incident.service}: PM2 state, health probes and error logs of every instance, matched against the signature catalog` },
      [{ service: incident.service, alerts: incident.alertFacts() }],
    ),
    leased,
  ]);
  return granted ? looked : { evidence: looked.evidence, diagnosis: await classify(incident, looked.evidence, {}) };
}

function classify(incident: IncidentState, evidence: Evidence, governorMode: { governorMode?: 'auto' }): Promise<Diagnosis> {
  return diagnosing(incident).classifyEvidence.executeWithOptions(
    { summary: `Classify ${incident.service}: match the evidence against the signature catalog` },
    // Alerts that arrived while the evidence was being collected count too (a storm's second instance).
    [{ ...evidence, alerts: incident.alertFacts(), ...governorMode }],
  );
}

async function carryOut(incident: IncidentState, decision: Decision): Promise<void> {
  if (decision.kind !== 'act') await returnUnusedLease(incident);
  switch (decision.kind) {
    case 'escalate':
      return escalate(incident, decision.reason);
    case 'observe':
      return observeOnly(incident, decision.action, decision.reason);
    case 'await-approval':
      incident.requestApproval(decision.action, decision.reason);
      return;
    case 'verify-only':
      return confirmRecoveredWithoutAction(incident, decision.reason);
    case 'act':
      return remediate(incident, decision.action, decision.reason);
    case 'hand-over':
      return incident.handOver(decision.action, decision.reason);
  }
}

/**
 * One remediation attempt: the governor's permit, act, then verify. A failed verification counts towards
 * the fail-twice rule; the permit goes back with what came of it.
 */
async function remediate(incident: IncidentState, action: ActionName, reason: string): Promise<void> {
  incident.note('decided', `Decided: ${reason}.`);
  if (!(await stepBoundary(incident))) return;
  const permit = incident.governed ? await permitFor(incident, action) : null;
  if (permit && permit.verdict !== 'granted') return heedGovernor(incident, action, permit);
  const permitId = permit?.verdict === 'granted' ? permit.permitId : null;
  // The governor's blast-radius bound travels with the action, which must keep to it.
  const maxOutOfService = permit?.verdict === 'granted' ? (permit.maxOutOfService ?? Math.max(1, outOfServiceBy(incident, action))) : 1;
  const record = await act(incident, action, maxOutOfService);
  if (record.error) {
    incident.failedAttempts++;
    incident.note('attempt-failed', `Attempt ${incident.attempts} could not act (${incident.failedAttempts} failed so far): ${record.error}`);
    // A refusal changed nothing and would be refused again (a precondition or a bound does not hold): hand over now.
    if (record.refused && incident.refusalsEscalate) {
      await releasePermit(incident, permitId, 'not-performed', action);
      return escalate(incident, `${action} was refused and nothing was changed; trying again cannot help: ${record.error}`);
    }
    return releasePermit(incident, permitId, 'failed', action);
  }
  if (!(await stepBoundary(incident))) return releasePermit(incident, permitId, 'not-performed', action);
  const verdict = await verify(incident, record.pmIds);
  record.verified = verdict.healthy;
  record.verification = verdict.summary;
  await releasePermit(incident, permitId, verdict.healthy ? 'verified' : 'failed', action);
  if (verdict.healthy) {
    incident.close('auto-resolved', `Resolved automatically by ${action}; verified: ${verdict.summary}`);
    await scheduleUndosAfterRecovery(incident);
    return;
  }
  incident.failedAttempts++;
  incident.note('attempt-failed', `Attempt ${incident.attempts} failed verification (${incident.failedAttempts} failed so far): ${verdict.summary}`);
}

/** The lease granted while diagnosing, if the action keeps to it; otherwise the governor is asked now. */
async function permitFor(incident: IncidentState, action: ActionName): Promise<PermitVerdict> {
  const lease = incident.lease;
  incident.lease = null;
  if (!lease) return askGovernor(incident, action);
  if (Date.now() >= Date.parse(lease.leaseExpiresAt)) {
    await releasePermit(incident, lease.permitId, 'unused');
    return askGovernor(incident, action);
  }
  return confirmLease(incident, action, lease);
}

/**
 * Whether the action chosen keeps to the lease: the blast radius, with the governor's share and the
 * instances the evidence found (the governor checked every other bound when it granted the lease, and one
 * acting incident per service means nothing could spend this service's budget since).
 */
async function confirmLease(incident: IncidentState, action: ActionName, lease: GrantedPermit): Promise<PermitVerdict> {
  const takesOutOfService = outOfServiceBy(incident, action);
  const instances = Math.max(1, incident.instanceCount);
  const radius = checkBlastRadius({ takesOutOfService, instances, maxInstanceShare: lease.maxInstanceShare ?? 1 });
  if (!radius.allowed) {
    await releasePermit(incident, lease.permitId, 'unused');
    const verdict: PermitVerdict = { verdict: 'escalate', reason: `${radius.reason}; ${action} on ${incident.service} needs a human` };
    incident.note('permit', `Governor: ${verdict.verdict} — ${verdict.reason}`);
    return verdict;
  }
  incident.note(
    'permit',
    `Governor: granted — ${action} under the lease ${lease.permitId} granted while diagnosing: ${takesOutOfService} of ${instances} instance(s) out at once (bound ${radius.limit}); lease until ${lease.leaseExpiresAt}`,
  );
  return { ...lease, maxOutOfService: radius.limit };
}

/** Newer runs ask for a lease beside the evidence of a witnessed failure, the quick first look. */
function leasing(incident: IncidentState): boolean {
  return incident.leasesWhileDiagnosing && incident.governed && diagnosing(incident) === diagnoseLocally;
}

/** Asks the governor for a lease while the evidence is collected; true when it was granted. */
async function askForLease(incident: IncidentState): Promise<boolean> {
  let answer;
  try {
    answer = await leaseLocally.requestActionLease.executeWithOptions(
      { summary: `Ask the governor for a lease on ${incident.service} while diagnosing` },
      [{ incidentWorkflowId: incident.workflowId, incidentId: incident.incidentId, service: incident.service, instances: Math.max(1, incident.instanceCount) }],
    );
  } catch (err) {
    // No lease: the permit is asked in line once the action is chosen.
    if (!(err instanceof ActivityFailure)) throw err;
    answer = { verdict: 'not-asked', reason: `the lease could not be asked: ${err.cause?.message ?? err.message}` } as const;
  }
  if (answer.verdict !== 'granted') {
    incident.note('lease', `No lease while diagnosing (${answer.verdict}: ${answer.reason}); the governor is asked once the action is chosen.`);
    return false;
  }
  incident.lease = answer;
  incident.note('permit', `Governor: ${answer.reason}`);
  return true;
}

/** A lease no action was taken under goes back, with its budget slot. */
async function returnUnusedLease(incident: IncidentState): Promise<void> {
  const lease = incident.lease;
  incident.lease = null;
  if (lease) await releasePermit(incident, lease.permitId, 'unused');
}

/** Budget, blast radius, mode, maintenance, breaker and one acting incident per service: the governor decides. */
async function askGovernor(incident: IncidentState, action: ActionName): Promise<PermitVerdict> {
  const takesOutOfService = outOfServiceBy(incident, action);
  let verdict: PermitVerdict;
  try {
    verdict = await askInLine.requestActionPermit.executeWithOptions(
      { summary: `Ask the governor for a permit: ${action} on ${incident.service} (${takesOutOfService} of ${incident.instanceCount} instance(s) out of service)` },
      [
        {
          incidentWorkflowId: incident.workflowId,
          incidentId: incident.incidentId,
          service: incident.service,
          action,
          takesOutOfService,
          instances: Math.max(1, incident.instanceCount),
        },
      ],
    );
  } catch (err) {
    // No permit, no action: a human gets the incident rather than the incident failing unseen.
    if (!(err instanceof ActivityFailure)) throw err;
    verdict = { verdict: 'escalate', reason: `the governor could not be asked for a permit: ${err.cause?.message ?? err.message}` };
  }
  incident.note('permit', `Governor: ${verdict.verdict} — ${verdict.reason}`);
  return verdict;
}

/**
 * How many serving instances the action takes out at once, for the governor's blast-radius bound. Rolling
 * actions (reload, rollback) one at a time; restart, drain and reroute those of their targets still
 * serving; actions that add capacity or touch no instance (scale-up, rebalance, cache, logs) none.
 */
function outOfServiceBy(incident: IncidentState, action: ActionName): number {
  switch (action) {
    case 'pm2-reload':
    case 'rollback-deploy':
      return 1;
    case 'pm2-restart':
    case 'drain-traffic':
    case 'reroute-traffic':
      return (incident.diagnosis?.affectedPmIds ?? []).filter((id) => incident.servingPmIds.includes(id)).length;
    default:
      return 0;
  }
}

/** No permit: record the plan and hand over (observe, escalate), or wait for the other incident and look again. */
async function heedGovernor(incident: IncidentState, action: ActionName, permit: Exclude<PermitVerdict, { verdict: 'granted' }>): Promise<void> {
  switch (permit.verdict) {
    case 'observe':
      return observeOnly(incident, action, permit.reason);
    case 'escalate':
      return escalate(incident, permit.reason);
    case 'wait':
      if (++incident.governorWaits > MAX_GOVERNOR_WAITS) {
        return escalate(incident, `waited ${MAX_GOVERNOR_WAITS} times for the governor: ${permit.reason}`);
      }
      await sleep(permit.retryAfterMs ?? DEFAULT_GOVERNOR_RETRY_MS);
      return;
  }
}

/** Observe mode or maintenance: the plan goes into the history, nothing runs, and a human has it. */
async function observeOnly(incident: IncidentState, action: ActionName, reason: string): Promise<void> {
  incident.note('planned', `Would run ${action} on pm_id ${(incident.diagnosis?.affectedPmIds ?? []).join(',')}; taking no action. ${reason}`);
  return escalate(incident, reason);
}

async function releasePermit(incident: IncidentState, permitId: string | null, outcome: PermitOutcome, action?: ActionName): Promise<void> {
  if (permitId === null) return;
  let result;
  try {
    result = await tell.releaseActionPermit.executeWithOptions({ summary: `Return the governor's permit for ${incident.service}: ${outcome}` }, [
      { permitId, outcome, ...(action ? { action } : {}) },
    ]);
  } catch (err) {
    // The lease runs out by itself (governor.leaseTtlMs); a permit that could not be returned never fails the incident.
    if (!(err instanceof ActivityFailure)) throw err;
    incident.note('permit-not-returned', `The governor's permit could not be returned (its lease will expire): ${err.cause?.message ?? err.message}`);
    return;
  }
  if (result.breakerOpened) incident.note('breaker-opened', result.summary);
}

async function act(incident: IncidentState, action: ActionName, maxOutOfService: number): Promise<ActionRecord> {
  incident.step = 'acting';
  incident.attempts++;
  incident.approval = null;
  publish(incident);
  const pmIds = incident.diagnosis?.affectedPmIds ?? [];
  const idempotencyKey = `${incident.incidentId}/attempt-${incident.attempts}/${action}`;
  const startedAt = new Date().toISOString();
  const record: ActionRecord = {
    action,
    attempt: incident.attempts,
    idempotencyKey,
    pmIds,
    startedAt,
    endedAt: startedAt,
    performed: false,
    error: null,
    summary: '',
    undo: { kind: 'none', why: 'not performed' },
    verified: null,
    verification: null,
    undone: false,
  };
  const summary = `${action} ${incident.service} pm_id ${pmIds.join(',')} (attempt ${incident.attempts})`;
  try {
    const outcome =
      action === 'pm2-restart' || action === 'pm2-reload'
        ? await change.restartInstances.executeWithOptions({ summary }, [
            { service: incident.service, pmIds, idempotencyKey, reload: action === 'pm2-reload' },
          ])
        : await runAction(automatic(action), { service: incident.service, incidentId: incident.incidentId, idempotencyKey, pmIds, maxOutOfService }, summary);
    // A retried activity whose earlier attempt (on a worker that died) did the work answers performed=false
    // with that attempt's undo: the change is in effect all the same, and its undo must still run.
    const inEffect = outcome.performed || (incident.retriedWorkKeepsUndo && outcome.undo.kind !== 'none');
    Object.assign(record, { performed: inEffect, summary: outcome.summary, undo: outcome.undo });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    record.error = err.cause?.message ?? err.message;
    if (err.cause instanceof ApplicationFailure && err.cause.type && terminal.includes(err.cause.type)) record.refused = true;
    record.summary = `failed: ${record.error}`;
  }
  record.endedAt = new Date().toISOString();
  incident.actions.push(record);
  incident.note('acted', `${action} on pm_id ${pmIds.join(',')}: ${record.summary}`);
  return record;
}

/** The gate hands excluded steps to a human, so only automatic actions reach here. */
function automatic(action: ActionName): Exclude<AutomaticAction, 'pm2-restart' | 'pm2-reload'> {
  if (isExcludedAction(action) || action === 'pm2-restart' || action === 'pm2-reload') {
    throw new Error(`${action} is not an automatic action with its own activity`);
  }
  return action;
}

async function verify(incident: IncidentState, pmIds: number[]) {
  incident.step = 'verifying';
  publish(incident);
  const verdict = await judge.verifyRecovery.executeWithOptions(
    { summary: `Verify ${incident.service}: health restored and no new restarts over the verification window` },
    [{ service: incident.service, pmIds }],
  );
  incident.note('verified', `${verdict.healthy ? 'Healthy' : 'Not healthy'}: ${verdict.summary}`);
  return verdict;
}

async function confirmRecoveredWithoutAction(incident: IncidentState, reason: string): Promise<void> {
  incident.note('decided', `Decided: no action, ${reason}.`);
  if (!(await stepBoundary(incident))) return;
  const verdict = await verify(incident, []);
  if (verdict.healthy) {
    incident.close('recovered-without-action', `Recovered without any action; verified: ${verdict.summary}`);
  }
}

/** Mandatory stop: freeze automation, page a human, and wait for resolve, release or revert. */
async function escalate(incident: IncidentState, reason: string): Promise<void> {
  incident.escalate(reason);
  publish(incident);
  const d = incident.diagnosis;
  await tell.pageHumans.executeWithOptions({ summary: `Page on-call for ${incident.service}: ${reason}` }, [
    {
      incidentId: incident.incidentId,
      workflowId: incident.workflowId,
      runId: incident.runId,
      service: incident.service,
      reason,
      details: d?.reasons ?? [],
      class: d?.class ?? null,
      severity: d?.severity ?? null,
      confidence: d?.confidence ?? null,
      signatureId: d?.signatureId ?? null,
    },
  ]);
  incident.paged = true;
}

/**
 * Runs the recorded undos, newest first, each in a scope a cancellation cannot cut short. A restart
 * records that it has nothing to undo; a refused or failed undo is recorded and the others still run.
 */
async function revertActions(incident: IncidentState): Promise<void> {
  for (const record of [...incident.actions].reverse()) {
    if (record.undone || !record.performed) continue;
    record.undone = true;
    if (record.undo.kind === 'none') {
      incident.note('reverted', `Reverted ${record.action} (attempt ${record.attempt}): ${record.undo.why}`);
      continue;
    }
    const undo = { service: incident.service, incidentId: incident.incidentId, idempotencyKey: `${record.idempotencyKey}/undo`, undo: record.undo };
    try {
      const outcome = await CancellationScope.nonCancellable(() => runUndo(undo));
      incident.note('reverted', `Reverted ${record.action} (attempt ${record.attempt}): ${outcome.summary}`);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      incident.note('revert-failed', `Could not revert ${record.action} (attempt ${record.attempt}): ${err.cause?.message ?? err.message}. Recipe: ${record.undo.why}`);
    }
  }
  incident.revertsDone = incident.revertsRequested;
}

/**
 * Undos meant to run once the service is healthy again (scale down after a cooldown, undrain…) go to a
 * child workflow the incident leaves running when it closes, so the incident closes now and a new alert
 * opens a new incident instead of joining one that is only waiting out a cooldown.
 */
async function scheduleUndosAfterRecovery(incident: IncidentState): Promise<void> {
  const undos = [...incident.actions]
    .reverse()
    .filter((r) => r.performed && !r.undone && afterRecoveryMs(r.undo) !== null)
    .map((r) => ({ action: r.action, idempotencyKey: r.idempotencyKey, undo: r.undo }));
  if (undos.length === 0) return;
  const workflowId = `undo-after-recovery-${incident.incidentId}`;
  await startChild(undoAfterRecoveryWorkflow, {
    workflowId,
    args: [{ incidentId: incident.incidentId, service: incident.service, undos }],
    parentClosePolicy: 'ABANDON',
    staticSummary: `${incident.service}: undo ${undos.map((u) => u.action).join(', ')} of ${incident.incidentId} once it stays healthy`,
  });
  for (const u of undos) {
    incident.note('undo-scheduled', `${u.action} will be undone (${u.undo.why}) after ${afterRecoveryMs(u.undo)} ms of health, by ${workflowId}.`);
  }
}

async function report(incident: IncidentState): Promise<IncidentReport> {
  await returnUnusedLease(incident); // an incident closed by a human while holding one
  publish(incident);
  const result = incident.report();
  if (incident.reportsFully) await completeReport(incident, result);
  if (incident.notifies) await deliverReport(incident, result);
  await tell.publishReport.executeWithOptions(
    { summary: `Report ${result.incidentId}: ${result.outcome}, ${result.class ?? 'unclassified'}, TTR ${result.ttrSeconds.toFixed(1)} s` },
    [result],
  );
  return result;
}

/** The request counters as the incident opens: the baseline of the user-impact estimate. */
async function measureTrafficAtOpen(incident: IncidentState): Promise<void> {
  incident.trafficMeasured = true;
  try {
    incident.trafficAtOpen = await measure.measureTraffic.executeWithOptions(
      { summary: `Measure ${incident.service}'s traffic as the incident opens: request and 5xx counters of every instance` },
      [{ service: incident.service }],
    );
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    incident.note('impact-unmeasured', `Traffic could not be measured: ${err.cause?.message ?? err.message}`);
  }
}

/**
 * The report of the specification: timings, user impact, Temporal ids and link, and — when a human resolved
 * it and said why — a catalog signature drafted from their words and the evidence, so the next one need not
 * wake anyone. Neither estimate nor draft may keep the incident from closing.
 */
async function completeReport(incident: IncidentState, result: IncidentReport): Promise<void> {
  const info = workflowInfo();
  const base = incident.input.webUiUrl?.replace(/\/+$/, '') ?? null;
  result.temporal = {
    namespace: info.namespace,
    workflowId: result.workflowId,
    runId: result.runId,
    webUiUrl: base ? `${base}/namespaces/${info.namespace}/workflows/${encodeURIComponent(result.workflowId)}/${result.runId}/history` : null,
  };
  const firstSign = Date.parse(result.detectedAt);
  result.timeToDetectSeconds = Math.max(0, (Date.parse(result.startedAt) - firstSign) / 1000);
  const mitigated = result.actions.find((a) => a.performed);
  result.timeToMitigateSeconds = mitigated ? Math.max(0, (Date.parse(mitigated.endedAt) - firstSign) / 1000) : null;
  await incident.trafficBaseline;
  try {
    result.impact = await observe.estimateUserImpact.executeWithOptions(
      { summary: `Estimate ${result.service}'s user impact: failed requests and affected users over ${result.ttrSeconds.toFixed(1)} s` },
      [{ service: result.service, first: incident.trafficAtOpen, from: result.detectedAt, to: result.endedAt }],
    );
    incident.note('impact', `User impact: ≈ ${result.impact.failedRequests} failed request(s) of ${result.impact.totalRequests}, ≈ ${result.impact.affectedUsers} user(s) affected (${result.impact.basis}).`);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    result.impact = null;
    incident.note('impact-unmeasured', `User impact could not be estimated: ${err.cause?.message ?? err.message}`);
  }
  const said = result.resolution;
  if (result.outcome === 'resolved-by-human' && said && (said.rootCause || said.fix) && incident.lastEvidence) {
    try {
      result.proposedSignature = await tell.proposeSignature.executeWithOptions(
        { summary: `Draft a catalog signature from ${said.operator}'s resolution of ${result.incidentId}` },
        [
          {
            incidentId: result.incidentId,
            service: result.service,
            evidence: incident.lastEvidence,
            diagnosedClass: result.class,
            diagnosedSignatureId: result.signatureId,
            affectedPmIds: incident.diagnosis?.affectedPmIds ?? [],
            resolution: said,
          },
        ],
      );
      incident.note('signature-proposed', result.proposedSignature.summary);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      incident.note('signature-not-proposed', `No signature drafted: ${err.cause?.message ?? err.message}`);
    }
  }
}

/**
 * Notify, not wake, and the immutable record: the page resolved, the channels told, the report in the
 * ledger — by a child workflow the incident abandons, so it closes now and delivery is retried for as long
 * as a receiver or the database is down (workflows/report-delivery.ts).
 */
async function deliverReport(incident: IncidentState, result: IncidentReport): Promise<void> {
  const workflowId = `report-${result.incidentId}`;
  await startChild(reportDeliveryWorkflow, {
    workflowId,
    args: [{ report: result, paged: incident.paged }],
    parentClosePolicy: 'ABANDON',
    staticSummary: `${result.service}: deliver the report of ${result.incidentId} (${result.outcome})`,
  });
  incident.note('reporting', `The report goes out through ${workflowId}: ${incident.paged ? 'page resolved, ' : ''}channels notified, audit ledger row.`);
}

// ---- boundaries and observability ----

/**
 * The step boundary: returns true when automation may take its next step, false once the incident is
 * closed. While a human holds it (pause, takeOver, escalation, approval) it waits here and reverts run here.
 */
async function stepBoundary(incident: IncidentState): Promise<boolean> {
  for (;;) {
    const hold = incident.hold();
    if (hold === 'closed') return false;
    if (hold === 'reverting') {
      await revertActions(incident);
      continue;
    }
    incident.waitingFor = hold;
    publish(incident);
    if (hold === null) return true;
    const seen = incident.version;
    await condition(() => incident.version !== seen);
  }
}

function publish(incident: IncidentState): void {
  const s = incident.status();
  const pairs: SearchAttributeUpdatePair[] = [
    { key: IncidentService, value: s.service },
    { key: IncidentPhase, value: s.phase },
    ...(s.class ? [{ key: IncidentClass, value: s.class }] : []),
    ...(s.severity ? [{ key: IncidentSeverity, value: s.severity }] : []),
    ...(s.confidence !== null ? [{ key: IncidentConfidence, value: s.confidence }] : []),
    ...(s.outcome ? [{ key: IncidentOutcome, value: s.outcome }] : []),
  ];
  const fingerprint = JSON.stringify(pairs.map((p) => p.value));
  if (fingerprint === incident.publishedAttributes) return;
  incident.publishedAttributes = fingerprint;
  upsertSearchAttributes(pairs);
  setCurrentDetails(
    [
      `**${s.incidentId}** · ${s.service} · phase **${s.phase}**`,
      s.class ? `class ${s.class}, severity ${s.severity}, confidence ${s.confidence?.toFixed(2)}` : 'not yet classified',
      s.escalation ? `escalated: ${s.escalation.reason}` : '',
      s.controller ? `controlled by ${s.controller}` : '',
      s.paused ? `paused by ${s.pausedBy}` : '',
      `attempts ${s.actions.length}, failed ${s.failedAttempts}, alerts ${s.alerts.received}`,
    ]
      .filter(Boolean)
      .join('\n\n'),
  );
}
