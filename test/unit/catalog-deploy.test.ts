// Playbooks that roll back the last deploy: a crash loop right after a deploy rolls it back (every
// instance: at once; one instance: one clean restart first), a crash loop in a release that has run for a
// while, or right after an automatic rollback, only restarts; a bad deploy rolls back. And the
// `deploy.recent` fact the rules read, computed from the registry entry diagnosis collects. A release that
// cannot start right after a deploy keeps that rollback instead of becoming a failed start-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from '../../policy/classify';
import { serviceFact, serviceView } from '../../policy/catalog/facts';
import { loadCatalog } from '../../policy/catalog/load';
import type { DeployEvidence, Evidence, InstanceEvidence } from '../../policy/types';
import { alerts, evidence, instance, looks, policy, sample } from '../helpers/evidence';

const catalog = loadCatalog();
const COLLECTED_AT = '2026-11-30T00:10:00Z';

function deployed(agoMs: number, kind: DeployEvidence['kind'] = 'deploy'): DeployEvidence {
  return { version: '2.0.0', at: new Date(Date.parse(COLLECTED_AT) - agoMs).toISOString(), by: 'release-bot', kind, recentWithinMs: 300_000 };
}

function crashLoop(which: 'one' | 'all', lastDeploy?: DeployEvidence): Evidence {
  const crashing = instance(0, looks.refused, { restartsDuringDiagnosis: 1, exitCode: 1 });
  const other = which === 'all' ? instance(1, looks.refused, { restartsDuringDiagnosis: 1, exitCode: 1 }) : instance(1, looks.ok);
  return evidence([crashing, other], { collectedAt: COLLECTED_AT, ...(lastDeploy ? { lastDeploy } : {}) });
}

test('every instance crash-looping a minute after a deploy: roll that deploy back at once', () => {
  const d = classify(crashLoop('all', deployed(60_000)), policy, catalog);
  assert.equal(d.signatureId, 'crash-loop');
  assert.deepEqual(d.playbook, ['rollback-deploy']);
  assert.match(d.reasons.join(' '), /right after a deploy/);
});

test('one instance crash-looping right after a deploy: one clean restart, then the rollback', () => {
  const d = classify(crashLoop('one', deployed(60_000)), policy, catalog);
  assert.equal(d.signatureId, 'crash-loop');
  assert.deepEqual(d.playbook, ['pm2-restart', 'rollback-deploy']);
});

test('a crash loop in a release deployed long ago, with no registry, or right after a rollback only restarts', () => {
  for (const lastDeploy of [deployed(3_600_000), undefined, deployed(60_000, 'rollback')]) {
    const d = classify(crashLoop('all', lastDeploy), policy, catalog);
    assert.equal(d.signatureId, 'crash-loop');
    assert.deepEqual(d.playbook, ['pm2-restart'], JSON.stringify(lastDeploy));
  }
});

/** Every instance exits right at start-up: PM2 counts unstable restarts while diagnosis watches; nothing answers. */
function diesOnStart(lastDeploy?: DeployEvidence, over: Partial<InstanceEvidence> = {}): Evidence {
  const dying = (n: number) =>
    instance(n, looks.startingAndDying, { restartsDuringDiagnosis: 2, unstableRestarts: 4, unstableRestartsDuringDiagnosis: 2, exitCode: 1, ...over });
  return evidence([dying(0), dying(1)], {
    collectedAt: COLLECTED_AT,
    alerts: alerts({ ProcessExited: 'process-crash' }, { instances: [0, 1] }),
    ...(lastDeploy ? { lastDeploy } : {}),
  });
}

// A release that cannot start is a failed start-up by PM2's definition, but right after a deploy the
// crash loop's rules already roll that deploy back at once, where failed-startup would hand every
// instance failing to a human: the deploy keeps its rollback.
const diesOnStartCases: Array<{ name: string; evidence: Evidence; signatureId: string; playbook: string[]; severity: string; min: number }> = [
  { name: 'a minute after a deploy: crash loop, roll back at once', evidence: diesOnStart(deployed(60_000)), signatureId: 'crash-loop', playbook: ['rollback-deploy'], severity: 'medium', min: 0.79 },
  {
    name: 'a minute after a deploy, PM2 gave up while watched and no crash alert yet: still above the threshold',
    evidence: { ...diesOnStart(deployed(60_000), { samples: [...looks.startingAndDying.slice(0, 2), looks.errored[0]!].map((x) => sample(x)), restartsDuringDiagnosis: 0, unstableRestarts: 0, unstableRestartsDuringDiagnosis: 0 }), alerts: alerts({}) },
    signatureId: 'crash-loop',
    playbook: ['rollback-deploy'],
    severity: 'medium',
    min: 0.72,
  },
  { name: 'an hour after a deploy: a failed start-up, a human takes control', evidence: diesOnStart(deployed(3_600_000)), signatureId: 'unstable-startup', playbook: ['pm2-restart', 'rollback-deploy'], severity: 'high', min: 0.8 },
  { name: 'no registry: a failed start-up', evidence: diesOnStart(), signatureId: 'unstable-startup', playbook: ['pm2-restart', 'rollback-deploy'], severity: 'high', min: 0.8 },
];

for (const c of diesOnStartCases) {
  test(`every instance dies on start, ${c.name}`, () => {
    const d = classify(c.evidence, policy, catalog);
    assert.deepEqual({ signatureId: d.signatureId, playbook: d.playbook, severity: d.severity }, { signatureId: c.signatureId, playbook: c.playbook, severity: c.severity }, d.reasons.join('\n'));
    assert.ok(d.confidence >= c.min && d.confidence >= policy.confidenceThreshold, `confidence ${d.confidence}\n${d.reasons.join('\n')}`);
  });
}

test('deploy.recent says what it saw', () => {
  const fact = (e: Evidence) => serviceFact('deploy.recent', serviceView(e, catalog.settings));
  assert.deepEqual(fact(crashLoop('one', deployed(60_000))), { holds: true, detail: 'release 2.0.0 was deployed by release-bot 60 s before diagnosis (recent within 300 s)' });
  assert.equal(fact(crashLoop('one', deployed(301_000))).holds, false);
  assert.match(fact(crashLoop('one', deployed(1_000, 'roll-forward'))).detail, /roll-forward to 2\.0\.0 .* not a deploy/);
  assert.match(fact(crashLoop('one')).detail, /no deploy of the service is recorded/);
});

test('a bad deploy rolls back the last deploy', () => {
  const d = classify(evidence([instance(0, looks.ok), instance(1, looks.ok)], { alerts: alerts({ BadDeploy: 'bad-deploy' }) }), policy, catalog);
  assert.equal(d.signatureId, 'bad-deploy');
  assert.deepEqual(d.playbook, ['rollback-deploy']);
});
