// Risk from what the failing process itself says: a log signal that matched its recent log lines adds its
// risk flag to the diagnosis, with the line quoted in the reasons, and the gate escalates on it whatever
// the signature would have done. Log facts (`log:<name>`) work in service and instance signatures.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { classify } from '../../policy/classify';
import { loadCatalog } from '../../policy/catalog/load';
import type { LogEvidence } from '../../policy/types';
import { decide } from '../../workflows/gate';
import { alerts, evidence, instance, looks, policy } from '../helpers/evidence';

const catalog = loadCatalog();
const dir = mkdtempSync(path.join(os.tmpdir(), 'zt-log-risk-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const crashing = () => [instance(0, looks.refused, { restartsDuringDiagnosis: 1, exitCode: 1 }), instance(1, looks.ok)];

function log(instances: number[], matches: LogEvidence['matches'], over: Partial<LogEvidence> = {}): LogEvidence {
  return { instances, pmIds: instances, stream: 'err', file: '/pm2/logs/api-error.log', read: 'read the last 4 KB of 4 KB: 12 of its last 12 line(s) from the last 10 min', readable: true, matches, ...over };
}

const duplicateKey = { signal: 'db-constraint-violation', risk: 'data-consistency' as const, count: 1, lines: ['duplicate key value violates unique constraint "orders_ref_key"'] };

describe('risk flags from the error log', () => {
  test('a crash whose error log says "duplicate key value violates unique constraint" escalates as data-consistency', () => {
    const d = classify(evidence(crashing(), { logs: [log([0], [duplicateKey]), log([1], [], { pmIds: [1], file: '/pm2/logs/api-error-1.log' })] }), policy, catalog);
    assert.equal(d.signatureId, 'crash-loop', 'still a crash loop');
    assert.deepEqual(d.riskFlags, ['data-consistency']);
    assert.ok(
      d.reasons.includes(`Error log of instance 0 says 'duplicate key value violates unique constraint "orders_ref_key"' (db-constraint-violation → risk data-consistency).`),
      d.reasons.join('\n'),
    );
    assert.ok(d.reasons.includes('Risk signals present: data-consistency.'));
    const decision = decide({ diagnosis: d, failedAttempts: 0, followUp: null });
    assert.deepEqual(decision, { kind: 'escalate', reason: 'mandatory escalation: risk signals present (data-consistency)' });
  });

  test('the control case: the same crash with a quiet log, or evidence recorded before logs existed, is remediated', () => {
    for (const logs of [[log([0, 1], [])], undefined]) {
      const d = classify(evidence(crashing(), logs ? { logs } : {}), policy, catalog);
      assert.deepEqual(d.riskFlags, []);
      assert.deepEqual(decide({ diagnosis: d, failedAttempts: 0, followUp: null }), { kind: 'act', action: 'pm2-restart', reason: 'process-crash (confidence 0.80) → pm2-restart' });
    }
  });

  test('a burst counted in a shared (merged) log names every instance writing it and the count', () => {
    const burst = { signal: 'auth-token-invalid', risk: 'auth' as const, count: 7, lines: ['jwt malformed', 'invalid signature'] };
    const d = classify(evidence(crashing(), { logs: [log([0, 1], [burst])] }), policy, catalog);
    assert.deepEqual(d.riskFlags, ['auth']);
    assert.ok(d.reasons.includes(`Error log of instances 0, 1 says 'jwt malformed' (7 matching lines; auth-token-invalid → risk auth).`), d.reasons.join('\n'));
  });

  test('risk from logs joins the alert labels and tags, once each', () => {
    const d = classify(
      evidence(crashing(), { serviceTags: ['billing'], alerts: alerts({}, { risk: ['data-consistency'] }), logs: [log([0], [duplicateKey])] }),
      policy,
      catalog,
    );
    assert.deepEqual([...d.riskFlags].sort(), ['billing', 'data-consistency']);
  });

  test('healthy again but the log carried a risk: still escalates (risk comes before verify-only)', () => {
    const d = classify(evidence([instance(0, looks.ok), instance(1, looks.ok)], { logs: [log([0], [duplicateKey])] }), policy, catalog);
    assert.equal(d.signatureId, 'healthy');
    assert.deepEqual(d.riskFlags, ['data-consistency']);
    assert.equal(decide({ diagnosis: d, failedAttempts: 0, followUp: null }).kind, 'escalate');
  });

  test('an unreadable log is said in the reasons and carries no risk', () => {
    const missing = log([0, 1], [], { readable: false, read: 'missing (no such file): no log evidence from it' });
    const d = classify(evidence(crashing(), { logs: [missing] }), policy, catalog);
    assert.deepEqual(d.riskFlags, []);
    assert.ok(d.reasons.includes('Error log of instances 0, 1: missing (no such file): no log evidence from it.'), d.reasons.join('\n'));
  });
});

describe('log facts in signatures', () => {
  const file = path.join(dir, 'queue.json');
  writeFileSync(
    file,
    JSON.stringify({
      settings: { logSignals: [{ name: 'queue-poisoned', pattern: 'poison message', minMatches: 2 }] },
      signatures: [
        {
          id: 'queue-poisoned',
          class: 'deadlock',
          scope: 'instance',
          description: 'The worker keeps choking on a poison message: restart it to drop the in-flight batch.',
          evidence: [
            { fact: 'log:queue-poisoned', weight: 0.8, specificity: 'specific', required: true },
            { fact: 'pm2.online', required: true },
          ],
          severity: { base: 'low' },
          playbook: ['pm2-restart'],
        },
        {
          id: 'order-writes-conflict',
          class: 'upstream-failure',
          scope: 'service',
          description: 'The database refuses our writes: a human looks at the data before anything restarts.',
          evidence: [{ fact: 'risk:data-consistency', weight: 0.75, specificity: 'specific' }, { fact: 'log:db-constraint-violation', weight: 0.5 }],
          severity: { base: 'high' },
        },
      ],
    }),
  );
  const extended = loadCatalog([file]);
  const poisoned = { signal: 'queue-poisoned', risk: null, count: 3, lines: ['poison message 42'] };

  test('in an instance signature, a log fact holds only for the instances writing that log; no risk, so it acts', () => {
    const logs = [log([0], []), log([1], [poisoned], { pmIds: [1] })];
    const d = classify(evidence([instance(0, looks.ok), instance(1, looks.ok)], { logs }), policy, extended);
    assert.equal(d.signatureId, 'queue-poisoned');
    assert.deepEqual(d.affectedPmIds, [1]);
    assert.deepEqual(d.riskFlags, []);
    assert.ok(d.reasons.includes(`Error log of instance 1 says 'poison message 42' (3 matching lines) (+0.80, specific).`), d.reasons.join('\n'));
    assert.equal(decide({ diagnosis: d, failedAttempts: 0, followUp: null }).kind, 'act');
  });

  test('in a service signature, risk:<flag> and log:<name> hold from the log evidence', () => {
    const d = classify(evidence([instance(0, looks.ok), instance(1, looks.ok)], { logs: [log([0, 1], [duplicateKey])] }), policy, extended);
    assert.equal(d.signatureId, 'order-writes-conflict');
    assert.equal(d.confidence, 0.88);
    assert.ok(d.reasons.includes('Risk data-consistency is signalled (+0.75, specific).'), d.reasons.join('\n'));
  });
});
