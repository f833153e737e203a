// Table-driven classification: evidence in, signature/class/severity/confidence/playbook out.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from '../../policy/classify';
import { loadCatalog } from '../../policy/catalog/load';
import type { Evidence, InstanceEvidence } from '../../policy/types';
import { evidence as baseEvidence, instance, policy } from '../helpers/evidence';

const catalog = loadCatalog();

/** The helper's evidence, but by default an incident opened by a deadlock alert. */
function evidence(instances: InstanceEvidence[], over: Partial<Evidence> = {}): Evidence {
  return baseEvidence(instances, {
    alerts: { names: ['InstanceHealthTimeout'], firing: [{ name: 'InstanceHealthTimeout', class: 'deadlock' }], count: 1, risk: [], instances: [] },
    ...over,
  });
}

const ok = [{}, {}, {}];
const hung = [{ health: 'timeout' as const, httpStatus: null }, { health: 'timeout' as const, httpStatus: null }, { health: 'timeout' as const, httpStatus: null }];

const cases: Array<{
  name: string;
  evidence: Evidence;
  expect: Partial<{ signatureId: string; class: string | null; healthy: boolean; severity: string; playbook: string[]; affectedPmIds: number[] }>;
  confidence: [number, number];
}> = [
  {
    name: 'hang on one instance: deadlock, low severity, restart that instance',
    evidence: evidence([instance(0, ok), instance(1, hung)]),
    expect: { signatureId: 'event-loop-deadlock', class: 'deadlock', severity: 'low', playbook: ['pm2-restart'], affectedPmIds: [1] },
    confidence: [0.9, 0.9],
  },
  {
    name: 'hang with a busy CPU is more certain',
    evidence: evidence([instance(0, ok), instance(1, hung.map((s) => ({ ...s, cpuPercent: 99 })))]),
    expect: { class: 'deadlock' },
    confidence: [0.95, 0.95],
  },
  {
    name: 'every instance hung: medium severity',
    evidence: evidence([instance(0, hung), instance(1, hung)]),
    expect: { class: 'deadlock', severity: 'medium', affectedPmIds: [0, 1] },
    confidence: [0.9, 0.9],
  },
  {
    name: 'every instance hung in cluster mode: rolling reload',
    evidence: evidence([instance(0, hung, { execMode: 'cluster' }), instance(1, hung, { execMode: 'cluster' })]),
    expect: { playbook: ['pm2-reload'] },
    confidence: [0.9, 0.9],
  },
  {
    name: 'crash loop: restarts while watched',
    evidence: evidence([
      instance(0, [{ health: 'refused', httpStatus: null }, { status: 'online', restarts: 1, health: 'refused', httpStatus: null }, { restarts: 2, health: 'refused', httpStatus: null }], { restartsDuringDiagnosis: 2, exitCode: 1 }),
      instance(1, ok),
    ]),
    expect: { signatureId: 'crash-loop', class: 'process-crash', playbook: ['pm2-restart'], affectedPmIds: [0] },
    confidence: [0.9, 0.9],
  },
  {
    name: 'PM2 gave up (errored)',
    evidence: evidence([instance(0, [{ status: 'errored', health: 'refused', httpStatus: null }], { exitCode: 1 }), instance(1, ok)]),
    expect: { signatureId: 'crash-loop', class: 'process-crash' },
    confidence: [0.9, 0.9],
  },
  {
    name: 'health endpoint answers 503: unhealthy health check',
    evidence: evidence([instance(0, [{ health: 'unhealthy', httpStatus: 503 }, { health: 'unhealthy', httpStatus: 503 }, { health: 'unhealthy', httpStatus: 503 }]), instance(1, ok)]),
    expect: { signatureId: 'health-check-failing', class: 'unhealthy-health-check' },
    confidence: [0.85, 0.85],
  },
  {
    name: 'stopped in PM2: maybe on purpose, so below the threshold',
    evidence: evidence([instance(0, [{ status: 'stopped', health: 'refused', httpStatus: null }]), instance(1, ok)]),
    expect: { signatureId: 'process-stopped' },
    confidence: [0.5, 0.5],
  },
  {
    name: 'caught between a crash and its restart ("stopped") after the sentinel reported the crash: crash loop',
    evidence: evidence(
      [instance(0, [{ status: 'stopped', health: 'refused', httpStatus: null }, { status: 'stopped', health: 'refused', httpStatus: null }], { exitCode: 1 }), instance(1, ok)],
      { alerts: { names: ['ProcessCrashLoop'], firing: [{ name: 'ProcessCrashLoop', class: 'process-crash' }], count: 4, risk: [], instances: [0] } },
    ),
    expect: { signatureId: 'crash-loop', class: 'process-crash', affectedPmIds: [0] },
    confidence: [0.8, 0.8],
  },
  {
    name: 'online but refusing connections: ambiguous, below the threshold',
    evidence: evidence([instance(0, [{ health: 'refused', httpStatus: null }, { health: 'refused', httpStatus: null }, { health: 'refused', httpStatus: null }]), instance(1, ok)]),
    expect: { signatureId: 'online-not-listening' },
    confidence: [0.6, 0.6],
  },
  {
    name: 'competing signatures lower the confidence',
    evidence: evidence([instance(0, hung), instance(1, [{ health: 'unhealthy', httpStatus: 503 }, { health: 'unhealthy', httpStatus: 503 }, { health: 'unhealthy', httpStatus: 503 }])]),
    expect: { class: 'deadlock' },
    confidence: [0.75, 0.75],
  },
  {
    name: 'all healthy after a crash alert: PM2 already recovered it',
    evidence: evidence([instance(0, ok), instance(1, ok)], { alerts: { names: ['ProcessExited'], firing: [{ name: 'ProcessExited', class: 'process-crash' }], count: 1, risk: [], instances: [0] } }),
    expect: { signatureId: 'crash-recovered-by-pm2', class: 'process-crash', healthy: true, playbook: [] },
    confidence: [0.9, 0.9],
  },
  {
    name: 'one slow probe is not a hang (negative)',
    evidence: evidence([instance(0, [{}, { health: 'timeout', httpStatus: null }, {}]), instance(1, ok)]),
    expect: { healthy: true, class: null },
    confidence: [0.9, 0.9],
  },
  {
    name: 'service absent from PM2: unclear',
    evidence: evidence([]),
    expect: { signatureId: 'service-absent', class: null, healthy: false },
    confidence: [0.2, 0.2],
  },
];

describe('classify', () => {
  for (const c of cases) {
    test(c.name, () => {
      const d = classify(c.evidence, policy, catalog);
      for (const [key, value] of Object.entries(c.expect)) assert.deepEqual((d as any)[key], value, `${key}`);
      assert.ok(d.confidence >= c.confidence[0] && d.confidence <= c.confidence[1], `confidence ${d.confidence}`);
      assert.ok(d.reasons.length > 0 && d.reasons.every((r) => r.length > 10), 'reasons in words');
    });
  }

  test('a still-firing detector alert the instances cannot show matches its catalog signature', () => {
    const d = classify(evidence([instance(0, ok), instance(1, ok)], { alerts: { names: ['DiskPressure'], firing: [{ name: 'DiskPressure', class: 'disk-pressure' }], count: 3, risk: [], instances: [] } }), policy, catalog);
    assert.equal(d.signatureId, 'disk-pressure');
    assert.equal(d.class, 'disk-pressure');
    assert.equal(d.healthy, false);
    assert.deepEqual(d.playbook, ['clean-logs']);
  });

  test('once that alert resolved, healthy instances mean recovered', () => {
    const d = classify(evidence([instance(0, ok), instance(1, ok)], { alerts: { names: ['DiskPressure'], firing: [], count: 4, risk: [], instances: [] } }), policy, catalog);
    assert.equal(d.healthy, true);
  });

  test('risk flags come from alerts and from service tags', () => {
    const d = classify(
      evidence([instance(0, hung)], { serviceTags: ['billing', 'frontend'], alerts: { names: ['X'], firing: [{ name: 'X', class: null }], count: 1, risk: ['security'], instances: [] } }),
      policy,
      catalog,
    );
    assert.deepEqual(d.riskFlags.sort(), ['billing', 'security']);
  });
});
