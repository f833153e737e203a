// The gate: pure policy deciding whether a machine may touch production for this diagnosis. The
// mandatory escalations of the specification come first and nothing below them can override them.
import { EXCLUSION_REASONS, IMPLEMENTED_ACTIONS, isExcludedAction, type ExcludedAction } from '../policy/actions';
import type { ActionName, Diagnosis } from '../policy/types';

export type Decision =
  | { kind: 'escalate'; reason: string }
  | { kind: 'verify-only'; reason: string }
  | { kind: 'observe'; action: ActionName; reason: string }
  | { kind: 'await-approval'; action: ActionName; reason: string }
  | { kind: 'act'; action: ActionName; reason: string }
  /** An excluded step a human approved: zero-touch never runs it, so the approver takes control to do it. */
  | { kind: 'hand-over'; action: ExcludedAction; reason: string };

export interface GateInput {
  diagnosis: Diagnosis;
  failedAttempts: number;
  /** A human's answer to the last follow-up approval request, if any. */
  followUp: 'approved' | 'rejected' | null;
}

export function decide({ diagnosis: d, failedAttempts, followUp }: GateInput): Decision {
  const { policy } = d;
  if (d.riskFlags.length > 0) {
    return { kind: 'escalate', reason: `mandatory escalation: risk signals present (${d.riskFlags.join(', ')})` };
  }
  if (failedAttempts >= policy.maxFailedAttempts) {
    return { kind: 'escalate', reason: `mandatory escalation: recovery failed ${failedAttempts} times` };
  }
  if (policy.mode === 'frozen') {
    return { kind: 'escalate', reason: 'automation is frozen globally (mode frozen)' };
  }
  if (d.healthy) {
    // A signature may call for no action (PM2 already restarted the process; an upstream outside our
    // processes): say which, rather than "healthy", so the timeline reads true.
    const why = d.class === null ? 'the service looks healthy again' : `${d.signatureId} calls for no action of ours (${d.class})`;
    return { kind: 'verify-only', reason: `${why}; verifying before closing` };
  }
  if (d.class === null || d.confidence < policy.confidenceThreshold) {
    return {
      kind: 'escalate',
      reason: `unclear diagnosis: confidence ${d.confidence.toFixed(2)} is below the threshold ${policy.confidenceThreshold.toFixed(2)}`,
    };
  }
  if (d.severity === 'high') {
    return { kind: 'escalate', reason: `high severity ${d.class}: a human takes control` };
  }
  const action = d.playbook[Math.min(failedAttempts, d.playbook.length - 1)];
  if (action === undefined) {
    return { kind: 'escalate', reason: `no approved action in the playbook of ${d.signatureId}` };
  }
  const why = `${d.class} (confidence ${d.confidence.toFixed(2)}) → ${action}`;
  if (policy.mode === 'observe') {
    return { kind: 'observe', action, reason: `observe mode: would run ${why}` };
  }
  if (policy.uncertified) {
    return { kind: 'observe', action, reason: `${policy.uncertified}: would run ${why}` };
  }
  if (isExcludedAction(action)) {
    const excluded = EXCLUSION_REASONS[action];
    if (followUp === 'rejected') return { kind: 'escalate', reason: `the excluded step ${action} was rejected by a human` };
    if (followUp === 'approved') return { kind: 'hand-over', action, reason: `${action} approved; ${excluded}, so the approver carries it out` };
    return { kind: 'await-approval', action, reason: `${excluded}: ${action} waits for a human's approve` };
  }
  if (!IMPLEMENTED_ACTIONS.has(action)) {
    return { kind: 'escalate', reason: `the playbook of ${d.signatureId} calls for ${action}, which this build cannot carry out yet` };
  }
  if (d.severity === 'medium' && failedAttempts > 0 && followUp === 'rejected') {
    return { kind: 'escalate', reason: `the follow-up ${action} was rejected by a human` };
  }
  if (d.severity === 'medium' && failedAttempts > 0 && followUp !== 'approved') {
    return { kind: 'await-approval', action, reason: `medium severity: follow-up ${why} after ${failedAttempts} failed attempt(s)` };
  }
  return { kind: 'act', action, reason: why };
}
