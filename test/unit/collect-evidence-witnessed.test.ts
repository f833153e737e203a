// Diagnosis takes the sentinel's failing probes instead of waiting out a hung instance's timeouts again —
// only while they are fresh and about the very same process. Real HTTP on loopback (one instance answers,
// one never does); PM2's listing is a stand-in so pid, restarts and status can be set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { MockActivityEnvironment } from '@temporalio/testing';
import { collectEvidence } from '../../activities/collect-evidence';
import { diagnoseWitnessedFailure } from '../../activities/diagnose-witnessed';
import type { EvidenceAndDiagnosis } from '../../activities/types';
import { trustedWitness } from '../../activities/witnessed-evidence';
import type { ActivityDeps } from '../../activities/deps';
import { parseConfig } from '../../config/load';
import { createLogger } from '../../observability/logger';
import type { Pm2Client, Pm2Process } from '../../pm2/client';
import type { Evidence } from '../../policy/types';
import type { Witnessed } from '../../signals/alert';
import { freePortRange } from '../helpers/system';
import { pm2Process } from '../helpers/evidence';

const PROBE_TIMEOUT_MS = 400;

function proc(instance: number, over: Partial<Pm2Process> = {}): Pm2Process {
  return pm2Process(instance, { memoryBytes: 50e6, cpuPercent: 99, ...over });
}

function witness(at: number, over: Partial<Witnessed> = {}): Witnessed {
  const sample = { at, status: 'online', health: 'timeout' as const, httpStatus: null, latencyMs: 1000, memoryBytes: 50e6, cpuPercent: 99 };
  return { pid: 101, restarts: 0, samples: [{ ...sample, at: at - 1000 }, sample], ...over };
}

function alertsWith(...witnessed: Array<Witnessed & { instance: number }>): Evidence['alerts'] {
  return { names: ['InstanceHealthTimeout'], firing: [], count: 1, risk: [], instances: [1], witnessed };
}

describe('trustedWitness', () => {
  const now = 1_000_000;
  const alerts = alertsWith({ ...witness(now - 200), instance: 1 });

  test('fresh probes of the same process stand in, marked as the sentinel’s', () => {
    const samples = trustedWitness(alerts, proc(1), now, 3000);
    assert.equal(samples?.length, 2);
    assert.ok(samples!.every((s) => s.by === 'sentinel' && s.pid === 101 && s.health === 'timeout'));
  });

  test('anything else and diagnosis looks for itself', () => {
    assert.equal(trustedWitness(alerts, proc(1), now + 5000, 3000), null, 'stale');
    assert.equal(trustedWitness(alerts, proc(1, { pid: 555 }), now, 3000), null, 'another process');
    assert.equal(trustedWitness(alerts, proc(1, { restarts: 1 }), now, 3000), null, 'restarted since');
    assert.equal(trustedWitness(alerts, proc(1, { status: 'errored' }), now, 3000), null, 'no longer online');
    assert.equal(trustedWitness(alerts, proc(0, { pid: 101 }), now, 3000), null, 'another instance');
    assert.equal(trustedWitness(alerts, proc(1), now, 0), null, 'trust switched off');
    assert.equal(trustedWitness(alerts, proc(1), now - 10_000, 3000), null, 'from the future beyond any clock skew');
    assert.equal(trustedWitness({ ...alerts, witnessed: undefined }, proc(1), now, 3000), null, 'older histories carry none');
  });
});

describe('collectEvidence with a witnessed hung instance', () => {
  let basePort: number;
  const servers: http.Server[] = [];
  before(async () => {
    basePort = await freePortRange(2);
    const healthy = http.createServer((_req, res) => res.end('ok'));
    const hung = http.createServer(() => undefined); // accepts, never answers: a blocked event loop's symptom
    for (const [i, s] of [healthy, hung].entries()) {
      await new Promise<void>((r) => s.listen(basePort + i, '127.0.0.1', r));
      servers.push(s);
    }
  });
  after(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  function depsWith(processes: Pm2Process[], mode: 'auto' | 'observe' = 'auto') {
    const config = parseConfig({
      services: [{ name: 'svc', basePort, instances: 2 }],
      policy: { mode, diagnosis: { samples: 3, sampleIntervalMs: 100, probeTimeoutMs: PROBE_TIMEOUT_MS } },
    });
    const deps: ActivityDeps & { looks: number } = { config, pm2: {} as Pm2Client, logger: createLogger('test'), looks: 0 };
    deps.pm2 = { listApp: async () => (deps.looks++, processes) } as unknown as Pm2Client;
    return deps;
  }

  function collect(processes: Pm2Process[], alerts: Evidence['alerts']) {
    const deps = depsWith(processes);
    const started = performance.now();
    return new MockActivityEnvironment()
      .run<[], Evidence, () => Promise<Evidence>>(() => collectEvidence(deps, { service: 'svc', alerts }))
      .then((evidence) => ({ evidence, looks: deps.looks, ms: performance.now() - started }));
  }

  test('diagnoseWitnessedFailure: the same evidence, classified in mode auto whatever the configured mode', async () => {
    // The governor is never read: the workflow uses this classification only under a granted lease (mode auto).
    const deps = depsWith([proc(0), proc(1)], 'observe');
    const { evidence, diagnosis } = await new MockActivityEnvironment().run<[], EvidenceAndDiagnosis, () => Promise<EvidenceAndDiagnosis>>(() =>
      diagnoseWitnessedFailure(deps, { service: 'svc', alerts: alertsWith({ ...witness(Date.now()), instance: 1 }) }),
    );
    assert.equal(deps.looks, 1);
    assert.deepEqual(evidence.instances.map((i) => [i.instance, i.samples.map((s) => s.health)]).sort(), [[0, ['ok']], [1, ['timeout', 'timeout']]]);
    assert.equal(diagnosis.class, 'deadlock');
    assert.equal(diagnosis.policy.mode, 'auto');
    assert.deepEqual(diagnosis.affectedPmIds, [1]);
  });

  test('one look: the hung instance is not probed again, the healthy one is', async () => {
    const { evidence, looks, ms } = await collect([proc(0), proc(1)], alertsWith({ ...witness(Date.now()), instance: 1 }));
    assert.equal(looks, 1, 'decisive at the first look');
    const [healthy, hung] = [0, 1].map((i) => evidence.instances.find((x) => x.instance === i)!);
    assert.deepEqual(healthy!.samples.map((s) => [s.health, s.by]), [['ok', undefined]]);
    assert.deepEqual(hung!.samples.map((s) => [s.health, s.by]), [['timeout', 'sentinel'], ['timeout', 'sentinel']]);
    assert.ok(ms < PROBE_TIMEOUT_MS, `did not wait out the hung instance's probe timeout (${Math.round(ms)} ms)`);
  });

  test('a process that restarted since the sentinel saw it is probed as before, every sample', async () => {
    const { evidence, looks } = await collect([proc(0), proc(1, { pid: 777, restarts: 1 })], alertsWith({ ...witness(Date.now()), instance: 1 }));
    assert.equal(looks, 3);
    const hung = evidence.instances.find((x) => x.instance === 1)!;
    assert.deepEqual(hung.samples.map((s) => [s.health, s.by]), [['timeout', undefined], ['timeout', undefined], ['timeout', undefined]]);
  });

  test('another instance that does not answer keeps diagnosis watching', async () => {
    const down = { ...proc(0), status: 'errored' };
    const { looks } = await collect([down, proc(1)], alertsWith({ ...witness(Date.now()), instance: 1 }));
    assert.equal(looks, 3, 'not decisive: an errored instance the sentinel did not witness');
  });
});
