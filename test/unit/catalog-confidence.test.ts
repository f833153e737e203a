// Confidence: how much of a signature's evidence matched and how specific it is (noisy-or of the weights),
// counter-evidence, caps, the ambiguity penalty, and the reasons that show every term that moved it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from '../../policy/classify';
import type { FactValue } from '../../policy/catalog/facts';
import { loadCatalog, parseCatalogFile } from '../../policy/catalog/load';
import type { Catalog, SignatureInput } from '../../policy/catalog/schema';
import { scoreSignature } from '../../policy/catalog/score';
import { alerts, evidence, instance, looks, policy } from '../helpers/evidence';

function signature(evidenceItems: SignatureInput['evidence'], over: Partial<SignatureInput> = {}) {
  const input = { id: 't', class: 'deadlock', scope: 'instance', description: 'a signature under test', evidence: evidenceItems, severity: { base: 'low' }, ...over };
  return parseCatalogFile({ signatures: [input] }, 'test').signatures[0]!;
}

/** Facts by name: true/false, with their name as the words. */
const facts = (held: Record<string, boolean>) => (name: string): FactValue => ({ holds: held[name] ?? false, detail: name });

const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

describe('confidence of one signature', () => {
  const sig = signature([
    { fact: 'health.timeout', weight: 0.8, specificity: 'specific', required: true },
    { fact: 'cpu.busy', weight: 0.5 },
    { fact: 'alert-class:deadlock', weight: 0.5 },
    { fact: 'pm2.restarting', weight: -0.3 },
    { fact: 'pm2.online', required: true },
  ]);

  test('one specific fact gives its weight; each further fact adds its weight of what is left (noisy-or)', () => {
    const one = scoreSignature(sig, facts({ 'health.timeout': true, 'pm2.online': true }))!;
    const two = scoreSignature(sig, facts({ 'health.timeout': true, 'pm2.online': true, 'cpu.busy': true }))!;
    const three = scoreSignature(sig, facts({ 'health.timeout': true, 'pm2.online': true, 'cpu.busy': true, 'alert-class:deadlock': true }))!;
    assert.ok(close(one.confidence, 0.8));
    assert.ok(close(two.confidence, 0.9));
    assert.ok(close(three.confidence, 0.95));
    assert.deepEqual(
      three.terms.slice(0, 3).map((t) => [t.text, t.kind, +t.delta!.toFixed(3)]),
      [
        ['health.timeout', 'specific', 0.8],
        ['cpu.busy', 'supporting', 0.1],
        ['alert-class:deadlock', 'supporting', 0.05],
      ],
    );
    assert.ok(close(three.terms.filter((t) => t.delta !== null).reduce((s, t) => s + t.delta!, 0), three.confidence), 'the terms add up to the confidence');
  });

  test('more matched evidence never lowers confidence and never passes 1', () => {
    const heavy = signature([
      { fact: 'health.timeout', weight: 1, specificity: 'specific' },
      { fact: 'cpu.busy', weight: 1 },
    ]);
    assert.equal(scoreSignature(heavy, facts({ 'health.timeout': true, 'cpu.busy': true }))!.confidence, 1);
  });

  test('counter-evidence takes its weight of the confidence reached', () => {
    const s = scoreSignature(sig, facts({ 'health.timeout': true, 'pm2.online': true, 'pm2.restarting': true }))!;
    assert.ok(close(s.confidence, 0.56));
    const counter = s.terms.find((t) => t.kind === 'counter')!;
    assert.ok(close(counter.delta!, -0.24));
  });

  test('a required item that does not hold, or no specific item holding, is no match', () => {
    assert.equal(scoreSignature(sig, facts({ 'health.timeout': true })), null, 'pm2.online is required');
    assert.equal(scoreSignature(sig, facts({ 'pm2.online': true, 'cpu.busy': true })), null, 'the specific fact is missing');
  });

  test('an absent item holds when its fact does not', () => {
    const guarded = signature([
      { fact: 'pm2.stopped', weight: 0.5, specificity: 'specific', required: true },
      { fact: 'instance.crash-reported', absent: true, required: true },
    ]);
    assert.ok(scoreSignature(guarded, facts({ 'pm2.stopped': true })));
    assert.equal(scoreSignature(guarded, facts({ 'pm2.stopped': true, 'instance.crash-reported': true })), null);
    assert.deepEqual(scoreSignature(guarded, facts({ 'pm2.stopped': true }))!.terms.at(-1), { text: 'instance.crash-reported', delta: null, kind: 'guard' });
  });

  test('the cap bites and says why', () => {
    const capped = signature([{ fact: 'health.refused', weight: 0.9, specificity: 'specific' }], { confidence: { max: 0.6, maxReason: 'it may still be starting' } });
    const s = scoreSignature(capped, facts({ 'health.refused': true }))!;
    assert.equal(s.confidence, 0.6);
    assert.match(s.terms.at(-1)!.text, /confidence capped at 0\.60: it may still be starting/);
    assert.ok(close(s.terms.at(-1)!.delta!, -0.3));
  });
});

describe('confidence of a diagnosis', () => {
  const shipped = loadCatalog();
  const withSettings = (settings: Partial<Catalog['settings']>): Catalog => ({ ...shipped, settings: { ...shipped.settings, ...settings } });

  test('reasons carry every term that moved the number, with its sign and specificity', () => {
    const d = classify(
      evidence([instance(0, looks.ok), instance(1, looks.hungBusy)], { alerts: alerts({ InstanceHealthTimeout: 'deadlock' }, { instances: [1] }) }),
      policy,
      shipped,
    );
    assert.equal(d.confidence, 0.95);
    const text = d.reasons.join('\n');
    assert.match(text, /Health check timed out in 3 of 3 probes while PM2 said online \(\+0\.80, specific\)\./);
    assert.match(text, /Firing alert InstanceHealthTimeout names class deadlock \(\+0\.10\)\./);
    assert.match(text, /CPU peaked at 99% \(busy at 80% or more\) \(\+0\.05\)\./);
    assert.match(text, /Confidence 0\.95 \(threshold 0\.70\)\./);
    assert.deepEqual(d.competing, []);
    assert.deepEqual(d.catalog, { digest: shipped.digest, files: ['policy/catalog/signatures.json'] });
  });

  test('a competing class costs the penalty once, names every rival, and the penalty is a catalog setting', () => {
    const mixed = evidence([instance(0, looks.hung), instance(1, looks.sick), instance(2, looks.errored)]);
    const d = classify(mixed, policy, shipped);
    assert.equal(d.signatureId, 'crash-loop');
    assert.equal(d.confidence, 0.75);
    assert.deepEqual(d.competing!.sort(), ['event-loop-deadlock', 'health-check-failing']);
    assert.match(d.reasons.join('\n'), /Competing signatures of another class: .*event-loop-deadlock \(deadlock\) on instance 0 \(pm_id 0\) at 0\.80.*\(−0\.15\): the evidence fits more than one class\./);
    assert.equal(classify(mixed, policy, withSettings({ ambiguityPenalty: 0.3 })).confidence, 0.6);
  });

  test('the same class on several instances is not ambiguity', () => {
    const d = classify(evidence([instance(0, looks.hung), instance(1, looks.hungBusy)]), policy, shipped);
    assert.deepEqual(d.competing, []);
    assert.equal(d.confidence, 0.9);
    assert.match(d.reasons.join('\n'), /The same signature matches instance 0 \(pm_id 0\) at 0\.80\./);
  });

  test('an alternative on the same instance competes only from the competitor floor up', () => {
    // A stopped instance after a reboot: node-reboot-degraded 0.85, process-stopped 0.5 on the same instance.
    const rebooted = evidence([instance(0, looks.ok), instance(1, looks.stopped)], { alerts: alerts({ NodeRebooted: 'node-reboot' }) });
    assert.equal(classify(rebooted, policy, shipped).confidence, 0.7);
    const highFloor = classify(rebooted, policy, withSettings({ competitorFloor: 0.6 }));
    assert.equal(highFloor.confidence, 0.85);
    assert.deepEqual(highFloor.competing, []);
  });

  test('a signature risk flag of a rival is kept: risk is never hidden by ambiguity', () => {
    const d = classify(evidence([instance(0, looks.hungBusy), instance(1, looks.hung)], { alerts: alerts({ DiskPressure: 'disk-pressure' }) }), policy, shipped);
    assert.equal(d.signatureId, 'event-loop-deadlock');
    assert.ok(d.competing!.includes('disk-full'));
    assert.deepEqual(d.riskFlags, ['data-consistency']);
    assert.match(d.reasons.join('\n'), /Signature disk-full implies risk: data-consistency\./);
  });

  test('confidence stays within [0, 1] after the penalty', () => {
    const d = classify(evidence([instance(0, [{ status: 'launching', health: 'error' as const, httpStatus: null }]), instance(1, looks.sick)]), policy, withSettings({ ambiguityPenalty: 1 }));
    assert.ok(d.confidence >= 0 && d.confidence <= 1, String(d.confidence));
  });
});
