// The gate's rules, mandatory escalations first.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from '../../workflows/gate';
import type { Diagnosis } from '../../policy/types';
import { AUTOMATIC_ACTIONS, IMPLEMENTED_ACTIONS } from '../../policy/actions';


function diagnosis(over: Partial<Diagnosis> = {}): Diagnosis {
  return {
    signatureId: 'event-loop-deadlock',
    class: 'deadlock',
    healthy: false,
    severity: 'low',
    confidence: 0.9,
    reasons: ['hung'],
    riskFlags: [],
    affectedPmIds: [1],
    playbook: ['pm2-restart'],
    policy: { mode: 'auto', confidenceThreshold: 0.7, maxFailedAttempts: 2 },
    ...over,
  };
}

describe('gate', () => {
  const cases: Array<[string, Partial<Diagnosis>, number, 'approved' | 'rejected' | null, string, RegExp?]> = [
    ['low severity, confident → act', {}, 0, null, 'act'],
    ['low severity, one failed attempt → act again', {}, 1, null, 'act'],
    ['two failed attempts → escalate', {}, 2, null, 'escalate', /failed 2 times/],
    ['risk flags → escalate before anything else', { riskFlags: ['billing'], healthy: true }, 0, null, 'escalate', /risk signals present \(billing\)/],
    ['confidence below threshold → escalate as unclear', { confidence: 0.6 }, 0, null, 'escalate', /unclear diagnosis: confidence 0.60/],
    ['no class → escalate as unclear', { class: null }, 0, null, 'escalate', /unclear/],
    ['high severity → a human takes control', { severity: 'high' }, 0, null, 'escalate', /high severity/],
    ['healthy → verify only', { healthy: true, class: null }, 0, null, 'verify-only'],
    ['frozen mode → escalate', { policy: { mode: 'frozen', confidenceThreshold: 0.7, maxFailedAttempts: 2 } }, 0, null, 'escalate', /frozen/],
    ['observe mode → plan only', { policy: { mode: 'observe', confidenceThreshold: 0.7, maxFailedAttempts: 2 } }, 0, null, 'observe'],
    [
      'uncertified class (no recent passing drill) → plan only, saying why',
      { policy: { mode: 'auto', confidenceThreshold: 0.7, maxFailedAttempts: 2, uncertified: 'class deadlock is not certified (it has never passed a drill)' } },
      0,
      null,
      'observe',
      /class deadlock is not certified \(it has never passed a drill\): would run deadlock/,
    ],
    [
      'uncertified class behind risk flags → escalate first',
      { riskFlags: ['security'], policy: { mode: 'auto', confidenceThreshold: 0.7, maxFailedAttempts: 2, uncertified: 'not certified' } },
      0,
      null,
      'escalate',
      /risk signals present/,
    ],
    ['medium severity, first action → act', { severity: 'medium' }, 0, null, 'act'],
    ['medium severity, follow-up → needs approval', { severity: 'medium' }, 1, null, 'await-approval'],
    ['medium severity, follow-up approved → act', { severity: 'medium' }, 1, 'approved', 'act'],
    ['medium severity, follow-up rejected → escalate', { severity: 'medium' }, 1, 'rejected', 'escalate', /rejected/],
    ['empty playbook → escalate', { playbook: [] }, 0, null, 'escalate', /no approved action/],
    ['excluded step → waits for approval even at low severity', { playbook: ['data-deletion'] }, 0, null, 'await-approval', /data deletion is excluded from zero-touch/],
    ['excluded step approved → handed to the approver, never run', { playbook: ['credential-rotation'] }, 0, 'approved', 'hand-over', /credential rotation is excluded/],
    ['excluded step rejected → escalate', { playbook: ['schema-change'] }, 0, 'rejected', 'escalate', /schema-change was rejected/],
    ['excluded step in observe mode → plan only', { playbook: ['security-policy-change'], policy: { mode: 'observe', confidenceThreshold: 0.7, maxFailedAttempts: 2 } }, 0, null, 'observe'],
    ['excluded step behind risk flags → escalate first', { playbook: ['customer-config-change'], riskFlags: ['auth'] }, 0, null, 'escalate', /risk signals present \(auth\)/],
  ];
  for (const [name, over, failedAttempts, followUp, kind, reason] of cases) {
    test(name, () => {
      const d = decide({ diagnosis: diagnosis(over), failedAttempts, followUp });
      assert.equal(d.kind, kind);
      if (reason) assert.match(d.reason, reason);
    });
  }

  test('every automatic action of the vocabulary is implemented, so the gate never hands over for lack of one', () => {
    assert.deepEqual(AUTOMATIC_ACTIONS.filter((a) => !IMPLEMENTED_ACTIONS.has(a)), []);
  });

  test('the attempt budget comes from the recorded policy', () => {
    const d = decide({ diagnosis: diagnosis({ policy: { mode: 'auto', confidenceThreshold: 0.7, maxFailedAttempts: 3 } }), failedAttempts: 2, followUp: null });
    assert.equal(d.kind, 'act');
  });
});
