// Drafting a catalog signature from a human's resolution (policy/catalog/propose.ts): the draft loads as a
// catalog file, recognises the incident it was drafted from, and does not fire on a healthy service.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from '../../policy/classify';
import { proposeSignature } from '../../policy/catalog/propose';
import { loadCatalog, parseCatalogFile } from '../../policy/catalog/load';
import { alerts, evidence, instance, looks, policy } from '../helpers/evidence';

const settings = { cpuBusyPercent: 80, memoryHighMb: 1024 };

describe('a signature drafted from a human resolution', () => {
  // A sick instance 1 answering 503 under an alert of a class the catalog handles only by paging.
  const sick = evidence([instance(0, looks.ok), instance(1, looks.sick)], { alerts: alerts({ InstanceUnhealthy: 'unhealthy-health-check' }, { instances: [1] }) });

  test('evidence is what told the sick instance apart, the fix is the playbook, and it loads as a catalog file', () => {
    const p = proposeSignature({
      incidentId: 'INC-20261130-abcdef12',
      evidence: sick,
      settings,
      diagnosedClass: 'unhealthy-health-check',
      affectedPmIds: [1],
      resolution: { operator: 'amy', rootCause: 'stale feature flag cache', fix: 'flushed the cache', action: 'flush-cache' },
    });
    assert.ok(p.signature, p.why.join('; '));
    assert.equal(p.signature.id, 'learned-inc-20261130-abcdef12');
    assert.equal(p.signature.class, 'unhealthy-health-check');
    assert.deepEqual(p.signature.playbook, ['flush-cache']);
    const facts = p.signature.evidence.map((e) => e.fact);
    assert.ok(facts.includes('alert-class:unhealthy-health-check'), facts.join(', '));
    assert.ok(facts.includes('health.unhealthy'), facts.join(', '));
    assert.ok(!facts.includes('instance.alerted'));
    assert.match(p.signature.description, /resolved by amy: root cause "stale feature flag cache"; fix "flushed the cache"/);
    assert.doesNotThrow(() => parseCatalogFile({ signatures: [p.signature] }, 'draft'));
  });

  test('adopted, it recognises the same incident and stays quiet on a healthy service', () => {
    const p = proposeSignature({
      incidentId: 'INC-1',
      evidence: sick,
      settings,
      diagnosedClass: 'unhealthy-health-check',
      diagnosedSignature: loadCatalog().signatures.find((s) => s.id === 'health-check-failing')!,
      affectedPmIds: [1],
      resolution: { operator: 'amy', rootCause: 'x', action: 'flush-cache' },
    });
    assert.ok(p.signature);
    const base = loadCatalog();
    const catalog = { ...base, signatures: [p.signature, ...base.signatures] };
    const scored = classify(sick, policy, catalog);
    assert.equal(scored.signatureId, p.signature.id, scored.reasons.join('\n'));
    assert.deepEqual(scored.playbook, ['flush-cache']);
    const healthy = classify(evidence([instance(0, looks.ok), instance(1, looks.ok)]), policy, catalog);
    assert.equal(healthy.class, null);
    assert.ok(!healthy.reasons.join(' ').includes(`matches signature ${p.signature.id}`));
  });

  test('no action named: an empty playbook, and the reasons say a human still decides', () => {
    const p = proposeSignature({ incidentId: 'INC-2', evidence: sick, settings, diagnosedClass: null, affectedPmIds: [], resolution: { operator: 'bo', fix: 'rebooted the host' } });
    assert.ok(p.signature);
    assert.deepEqual(p.signature.playbook, []);
    assert.ok(p.why.some((w) => /empty playbook/.test(w)), p.why.join('; '));
  });

  test('nothing to recognise it by: no draft, and why', () => {
    const quiet = evidence([instance(0, looks.ok), instance(1, looks.sick)]);
    const noClass = proposeSignature({ incidentId: 'INC-3', evidence: quiet, settings, diagnosedClass: null, affectedPmIds: [], resolution: { operator: 'cy', rootCause: '?' } });
    assert.equal(noClass.signature, null);
    assert.match(noClass.why.join(' '), /no class/);
    const noAlert = proposeSignature({ incidentId: 'INC-4', evidence: quiet, settings, diagnosedClass: null, affectedPmIds: [], resolution: { operator: 'cy', rootCause: '?', class: 'deadlock' } });
    assert.equal(noAlert.signature, null);
    assert.match(noAlert.why.join(' '), /nothing specific to recognise it by/);
  });
});
