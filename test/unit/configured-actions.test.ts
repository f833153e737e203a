// A playbook step the service has no `services[].actions` section for is left out of the diagnosis (its
// action could only be refused), and the reasons say so; excluded steps stay for the human. The mapping
// agrees with the actions' own refusals, and a playbook emptied this way escalates at the gate.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { classifyEvidence } from '../../activities/classify-evidence';
import type { ActivityDeps } from '../../activities/deps';
import { flushCache } from '../../activities/actions/cache';
import { rollbackDeploy } from '../../activities/actions/deploy';
import { cleanLogs } from '../../activities/actions/disk';
import { scaleUp } from '../../activities/actions/scale';
import { drainTraffic, rebalanceWeights, rerouteTraffic } from '../../activities/actions/traffic';
import { parseConfig } from '../../config/load';
import { findService } from '../../config/services';
import type { Config } from '../../config/schema';
import { AUTOMATIC_ACTIONS, EXCLUDED_ACTIONS, type AutomaticAction } from '../../policy/actions';
import { classify } from '../../policy/classify';
import { loadCatalog } from '../../policy/catalog/load';
import { configuredPlaybook, missingSection, REQUIRED_SECTION, type ActionSection } from '../../policy/configured-actions';
import type { ActionName, DeployEvidence, Diagnosis, Evidence } from '../../policy/types';
import type { ActionOutcome, ActionRequest } from '../../signals/actions';
import { decide } from '../../workflows/gate';
import { alerts, evidence, instance, looks, policy } from '../helpers/evidence';

const SECTIONS: Record<ActionSection, unknown> = {
  deploy: { appDir: '/srv/api' },
  scale: { maxInstances: 4 },
  traffic: { haproxySocket: '/run/haproxy/admin.sock', backend: 'api' },
  cache: { prefix: 'api:' },
  disk: {},
};

function configWith(sections: ActionSection[]): Config {
  return parseConfig({ services: [{ name: 'api', basePort: 4000, actions: Object.fromEntries(sections.map((s) => [s, SECTIONS[s]])) }] });
}

const bare = findService(configWith([]), 'api');
const full = findService(configWith(Object.keys(SECTIONS) as ActionSection[]), 'api');

function diagnosis(playbook: ActionName[], over: Partial<Diagnosis> = {}): Diagnosis {
  return {
    signatureId: 'some-signature',
    class: 'process-crash',
    healthy: false,
    severity: 'low',
    confidence: 0.9,
    reasons: ['Instance 0 matches some-signature.', `Playbook: ${playbook.join(', then ')}.`, 'Risk signals present: none.'],
    riskFlags: [],
    affectedPmIds: [0],
    playbook,
    policy,
    ...over,
  };
}

describe('the section each automatic action needs', () => {
  test('every automatic action has an entry (the Record type makes a missing one a compile error)', () => {
    assert.deepEqual(Object.keys(REQUIRED_SECTION).sort(), [...AUTOMATIC_ACTIONS].sort());
    assert.equal(REQUIRED_SECTION['pm2-restart'], null);
    assert.equal(REQUIRED_SECTION['pm2-reload'], null);
  });

  for (const action of AUTOMATIC_ACTIONS) {
    const section = REQUIRED_SECTION[action];
    test(`${action}: ${section ? `left out without actions.${section}, kept with it` : 'needs no section, always kept'}`, () => {
      const without = configuredPlaybook(diagnosis([action]), bare);
      const withIt = configuredPlaybook(diagnosis([action]), section ? findService(configWith([section]), 'api') : bare);
      assert.deepEqual(withIt.playbook, [action]);
      assert.deepEqual(withIt.reasons, diagnosis([action]).reasons, 'nothing to say when the step can run');
      if (!section) {
        assert.deepEqual(without.playbook, [action]);
        return;
      }
      assert.deepEqual(without.playbook, []);
      assert.ok(without.reasons.includes(`Playbook step ${action} left out: api has no services[].actions.${section} section.`), without.reasons.join('\n'));
      // Another action's section does not stand in for this one.
      const others = findService(configWith((Object.keys(SECTIONS) as ActionSection[]).filter((s) => s !== section)), 'api');
      assert.deepEqual(configuredPlaybook(diagnosis([action]), others).playbook, []);
    });
  }

  test('excluded (human-only) steps stay: they are never run, only handed to the approver', () => {
    for (const action of EXCLUDED_ACTIONS) {
      assert.equal(missingSection(action, bare), null, action);
      assert.deepEqual(configuredPlaybook(diagnosis(['scale-up', action]), bare).playbook, [action]);
    }
  });

  test('the order of what is left is kept, the reasons follow the playbook line, and a fully configured service loses nothing', () => {
    const playbook: ActionName[] = ['drain-traffic', 'pm2-restart', 'scale-up', 'pm2-reload', 'flush-cache'];
    const d = configuredPlaybook(diagnosis(playbook), bare);
    assert.deepEqual(d.playbook, ['pm2-restart', 'pm2-reload']);
    assert.deepEqual(d.reasons, [
      'Instance 0 matches some-signature.',
      'Playbook: drain-traffic, then pm2-restart, then scale-up, then pm2-reload, then flush-cache.',
      'Playbook step drain-traffic left out: api has no services[].actions.traffic section.',
      'Playbook step scale-up left out: api has no services[].actions.scale section.',
      'Playbook step flush-cache left out: api has no services[].actions.cache section.',
      'Playbook for api: pm2-restart, then pm2-reload.',
      'Risk signals present: none.',
    ]);
    const unchanged = diagnosis(playbook);
    assert.equal(configuredPlaybook(unchanged, full), unchanged);
  });

  test('an empty playbook (a human decides anyway) is left as it is', () => {
    const d = diagnosis([]);
    assert.equal(configuredPlaybook(d, bare), d);
  });
});

describe('the actions refuse exactly what the mapping leaves out', () => {
  // One activity per sectioned action; a Record, so a new action must be added here too.
  const activityOf: Record<AutomaticAction, ((deps: ActivityDeps, req: ActionRequest) => Promise<ActionOutcome>) | null> = {
    'pm2-restart': null,
    'pm2-reload': null,
    'rollback-deploy': rollbackDeploy,
    'scale-up': scaleUp,
    'drain-traffic': drainTraffic,
    'reroute-traffic': rerouteTraffic,
    'rebalance-weights': rebalanceWeights,
    'flush-cache': flushCache,
    'clean-logs': cleanLogs,
  };
  const deps = { config: configWith([]), pm2: {} as ActivityDeps['pm2'], logger: pino({ level: 'silent' }) } satisfies ActivityDeps;
  const req: ActionRequest = { service: 'api', incidentId: 'inc', idempotencyKey: 'inc/attempt-1/x', pmIds: [0], maxOutOfService: 1 };

  for (const action of AUTOMATIC_ACTIONS) {
    const section = REQUIRED_SECTION[action];
    const run = activityOf[action];
    if (!section || !run) continue;
    test(`${action} without actions.${section}: InvalidRequestError naming the section, before touching anything`, async () => {
      await assert.rejects(run(deps, req), (err: Error) => err.name === 'InvalidRequestError' && err.message.includes(`actions.${section}`));
    });
  }
});

describe('classification leaves out what the service is not configured for', () => {
  const catalog = loadCatalog();
  const COLLECTED_AT = '2026-11-30T00:10:00Z';
  const deployed: DeployEvidence = { version: '2.0.0', at: new Date(Date.parse(COLLECTED_AT) - 60_000).toISOString(), by: 'release-bot', kind: 'deploy', recentWithinMs: 300_000 };

  function crashLoop(which: 'one' | 'all'): Evidence {
    const crashing = instance(0, looks.refused, { restartsDuringDiagnosis: 1, exitCode: 1 });
    const other = which === 'all' ? instance(1, looks.refused, { restartsDuringDiagnosis: 1, exitCode: 1 }) : instance(1, looks.ok);
    return evidence([crashing, other], { service: 'api', collectedAt: COLLECTED_AT, lastDeploy: deployed });
  }

  test('one instance crash-looping right after a deploy, no actions.deploy: the clean restart stays, the rollback goes', () => {
    const classified = classify(crashLoop('one'), policy, catalog);
    assert.deepEqual(classified.playbook, ['pm2-restart', 'rollback-deploy'], 'the playbook rule applies');
    const d = configuredPlaybook(classified, bare);
    assert.deepEqual(d.playbook, ['pm2-restart']);
    const at = d.reasons.findIndex((r) => r.startsWith('Playbook: pm2-restart, then rollback-deploy, because'));
    assert.ok(at >= 0, d.reasons.join('\n'));
    assert.deepEqual(d.reasons.slice(at + 1, at + 3), ['Playbook step rollback-deploy left out: api has no services[].actions.deploy section.', 'Playbook for api: pm2-restart.']);
    assert.deepEqual(configuredPlaybook(classified, findService(configWith(['deploy']), 'api')).playbook, ['pm2-restart', 'rollback-deploy']);
  });

  test('every instance crash-looping right after a deploy, no actions.deploy: nothing is left and the gate escalates, the reasons saying why', () => {
    const classified = classify(crashLoop('all'), policy, catalog);
    assert.deepEqual(classified.playbook, ['rollback-deploy']);
    assert.equal(classified.severity, 'medium');
    const d = configuredPlaybook(classified, bare);
    assert.deepEqual(d.playbook, []);
    assert.ok(d.reasons.includes('Playbook step rollback-deploy left out: api has no services[].actions.deploy section.'), d.reasons.join('\n'));
    assert.ok(d.reasons.includes('No step of the playbook can run on api as configured, so a human decides.'), d.reasons.join('\n'));
    for (const followUp of [null, 'approved'] as const) {
      assert.deepEqual(decide({ diagnosis: d, failedAttempts: 0, followUp }), { kind: 'escalate', reason: 'no approved action in the playbook of crash-loop' });
    }
    // Configured, the same diagnosis acts.
    assert.deepEqual(decide({ diagnosis: configuredPlaybook(classified, findService(configWith(['deploy']), 'api')), failedAttempts: 0, followUp: null }).kind, 'act');
  });

  test('the classifyEvidence activity filters for the configured service: the demo service has no actions.deploy', async () => {
    // Out of an activity context the governor cannot be read; the config's mode stands in (as on a governor outage).
    const deps = { config: parseConfig({}), pm2: {} as ActivityDeps['pm2'], logger: pino({ level: 'silent' }) } satisfies ActivityDeps;
    const dying = instance(0, looks.startingAndDying, { restartsDuringDiagnosis: 2, unstableRestarts: 4, unstableRestartsDuringDiagnosis: 2, exitCode: 1 });
    const failedStartup = evidence([dying, instance(1, looks.ok)], { collectedAt: COLLECTED_AT, alerts: alerts({ ProcessExited: 'process-crash' }, { instances: [0] }) });
    assert.deepEqual(classify(failedStartup, policy, catalog).playbook, ['pm2-restart', 'rollback-deploy']);

    const d = await classifyEvidence(deps, failedStartup);
    assert.equal(d.signatureId, 'unstable-startup');
    assert.deepEqual(d.playbook, ['pm2-restart']);
    assert.ok(d.reasons.includes('Playbook step rollback-deploy left out: localize-api has no services[].actions.deploy section.'), d.reasons.join('\n'));
    // The follow-up is another restart, which can run, not a rollback that could only be refused.
    assert.deepEqual(decide({ diagnosis: d, failedAttempts: 1, followUp: 'approved' }), { kind: 'act', action: 'pm2-restart', reason: `failed-startup (confidence ${d.confidence.toFixed(2)}) → pm2-restart` });
  });
});
