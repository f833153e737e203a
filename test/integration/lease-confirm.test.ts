// The lease while diagnosing, as the incident workflow uses it: a real Temporal server and a real Worker
// running incidentWorkflow, with fake activities standing in for PM2, the probes and the governor, so each
// answer of the governor can be chosen. A witnessed failure asks for the lease beside its evidence (and,
// in newer runs, its classification, in one local activity: classified again if no lease comes); the
// action chosen then either keeps to the lease's blast radius (acted on at once, no permit asked) or not
// (escalated in the governor's words, the lease handed back unused); a lease not granted leaves the permit
// to be asked in line, as before leases existed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import type { ClassifyRequest } from '../../activities/classify-evidence';
import type { Diagnosis, Evidence, InstanceEvidence } from '../../policy/types';
import type { Alert } from '../../signals/alert';
import { alertSignal, statusQuery, timelineQuery } from '../../signals/contract';
import type { LeaseAnswer, LeaseRequest, PermitRelease } from '../../signals/governor';
import { workflowIdFor } from '../../signals/incident';
import type { incidentWorkflow } from '../../workflows';
import { fakeReportActivities } from '../helpers/fake-report-activities';
import { activitySummaries, result } from '../helpers/incidents';
import { eventually } from '../helpers/system';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

interface Scenario {
  workflowId: string;
  /** What the governor answers the lease. */
  lease: LeaseAnswer;
  /** The instances the diagnosis blames: 0 is serving, 1 is the hung one; both serving when `bothServing`. */
  affectedPmIds: number[];
  bothServing: boolean;
  // What the fakes saw.
  leases: LeaseRequest[];
  permits: number;
  restarts: number[][];
  releases: PermitRelease[];
  classifiedWithMode: Array<string | undefined>;
}

const scenarios = new Map<string, Scenario>();
const of = (service: string) => scenarios.get(service)!;

function instance(pmId: number, health: 'ok' | 'timeout'): InstanceEvidence {
  return {
    pmId,
    instance: pmId,
    execMode: 'fork',
    healthUrl: `http://127.0.0.1:1/${pmId}`,
    exitCode: null,
    unstableRestarts: 0,
    restartsDuringDiagnosis: 0,
    samples: [{ at: Date.now(), status: 'online', pid: 100 + pmId, restarts: 0, health, httpStatus: health === 'ok' ? 200 : null, latencyMs: 5, memoryBytes: 1, cpuPercent: 0 }],
  };
}

const activities: Partial<Activities> = {
  async collectEvidence(req): Promise<Evidence> {
    const s = of(req.service);
    return {
      service: req.service,
      collectedAt: new Date().toISOString(),
      expectedInstances: 2,
      serviceTags: [],
      instances: [instance(0, 'ok'), instance(1, s.bothServing ? 'ok' : 'timeout')],
      alerts: req.alerts,
    };
  },
  async classifyEvidence(req: ClassifyRequest): Promise<Diagnosis> {
    const s = of(req.service);
    s.classifiedWithMode.push(req.governorMode);
    return {
      signatureId: 'hang',
      class: 'deadlock',
      healthy: false,
      severity: 'low',
      confidence: 0.9,
      reasons: ['fake: the instance is online but its health probe times out'],
      riskFlags: [],
      affectedPmIds: s.affectedPmIds,
      playbook: ['pm2-restart'],
      policy: { mode: 'auto', confidenceThreshold: 0.7, maxFailedAttempts: 2 },
    };
  },
  // The first look beside the lease (newer runs): the two fakes above in one local activity, in mode auto.
  async diagnoseWitnessedFailure(req) {
    const evidence = await activities.collectEvidence!(req);
    return { evidence, diagnosis: await activities.classifyEvidence!({ ...evidence, governorMode: 'auto' }) };
  },
  async requestActionLease(req) {
    of(req.service).leases.push(req);
    return of(req.service).lease;
  },
  async requestActionPermit(req) {
    of(req.service).permits++;
    return { verdict: 'granted', permitId: 'permit-1', reason: 'fake governor: granted in line', leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(), maxOutOfService: 1 };
  },
  async releaseActionPermit(req) {
    // A release names only the permit: whose it is comes from the incident workflow that runs the activity.
    const workflowId = Context.current().info.workflowExecution?.workflowId;
    [...scenarios.values()].find((s) => s.workflowId === workflowId)!.releases.push(req);
    return { released: true, summary: 'fake governor', breakerOpened: false };
  },
  async restartInstances(req) {
    of(req.service).restarts.push(req.pmIds);
    return { performed: true, summary: 'fake restart', undo: { kind: 'none', why: 'a restart has nothing to undo' } };
  },
  async verifyRecovery() {
    return { healthy: true, summary: 'fake verification: healthy' };
  },
  async readGovernor() {
    throw new Error('the fake governor is not read: classification is told the mode or the test does not need it');
  },
  // Pages, notifications, the traffic baseline and the ledger go nowhere.
  ...fakeReportActivities,
};

const grantedLease = (): LeaseAnswer => ({
  verdict: 'granted',
  permitId: 'lease-1',
  reason: 'granted a lease (fake governor)',
  leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
  maxInstanceShare: 0.5,
});

describe('the lease while diagnosing, in the incident workflow (real Temporal, fake activities)', () => {
  let temporal: TestTemporal;
  let worker: Worker;
  let running: Promise<void>;
  let taskQueue: string;

  before(async () => {
    temporal = await testTemporal();
    taskQueue = uniqueTaskQueue('lease');
    worker = await Worker.create({ connection: temporal.native, namespace: temporal.namespace, taskQueue, workflowsPath: require.resolve('../../workflows'), activities });
    running = worker.run();
  });

  after(async () => {
    worker?.shutdown();
    await running;
    await temporal?.close();
  });

  /** Starts an incident as the ingest does, for a hang the sentinel witnessed on instance 1. */
  async function open(name: string, scenario: Pick<Scenario, 'lease' | 'affectedPmIds' | 'bothServing'>) {
    const service = `lease-${name}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
    const key = `${service}.availability`;
    scenarios.set(service, { ...scenario, workflowId: workflowIdFor(key), leases: [], permits: 0, restarts: [], releases: [], classifiedWithMode: [] });
    const alert: Alert = {
      source: 'sentinel',
      service,
      name: 'InstanceHealthTimeout',
      status: 'firing',
      instance: 1,
      summary: 'Health probe of instance 1 timed out twice.',
      labels: {},
      annotations: {},
      risk: [],
      startsAt: new Date().toISOString(),
      fingerprint: `${service}/1/health-timeout`,
      count: 1,
      witnessed: {
        pid: 101,
        restarts: 0,
        samples: [{ at: Date.now(), status: 'online', health: 'timeout', httpStatus: null, latencyMs: 500, memoryBytes: 1, cpuPercent: 0 }],
      },
    };
    const handle = await temporal.client.workflow.signalWithStart<typeof incidentWorkflow, [unknown]>('incidentWorkflow', {
      workflowId: workflowIdFor(key),
      taskQueue,
      args: [{ key, service, alert }],
      signal: alertSignal,
      signalArgs: [alert],
    });
    return { service, handle, seen: of(service) };
  }

  test('an action within the lease runs from it: no permit asked, classification told the mode, released with the action', async () => {
    const { service, handle, seen } = await open('within', { lease: grantedLease(), affectedPmIds: [1], bothServing: false });
    const report = await result(handle);
    assert.equal(report.outcome, 'auto-resolved');
    assert.equal(seen.leases.length, 1);
    assert.deepEqual(seen.leases[0], { incidentWorkflowId: handle.workflowId, incidentId: report.incidentId, service, instances: 1 });
    assert.equal(seen.permits, 0, 'no permit asked in line');
    assert.deepEqual(seen.restarts, [[1]]);
    assert.deepEqual(seen.classifiedWithMode, ['auto'], 'a granted lease says the mode: classified once, no query');
    assert.deepEqual(seen.releases, [{ permitId: 'lease-1', outcome: 'verified', action: 'pm2-restart' }]);
    const permitNote = (await handle.query(timelineQuery)).find((e) => e.kind === 'permit' && /under the lease/.test(e.summary));
    assert.match(permitNote?.summary ?? '', /pm2-restart under the lease lease-1 granted while diagnosing: 0 of 2 instance\(s\) out at once \(bound 1\)/);
    // Decided in the first workflow task: the lease, evidence and classification are local activities, the permit is no activity at all.
    assert.ok(!(await activitySummaries(handle)).some((s) => s.startsWith('Ask the governor for a permit')));
  });

  test('an action beyond the lease escalates in the governor\'s words; the lease goes back unused and nothing runs', async () => {
    const { service, handle, seen } = await open('beyond', { lease: grantedLease(), affectedPmIds: [0, 1], bothServing: true });
    const s = await eventually('the escalation', async () => {
      const st = await handle.query(statusQuery);
      return st.phase === 'escalated' ? st : undefined;
    });
    assert.match(s.escalation?.reason ?? '', new RegExp(`^blast radius: the action would take 2 of 2 instance\\(s\\) out of service at once; the bound is 1 \\(50% of 2, at least 1\\); pm2-restart on ${service} needs a human$`));
    assert.deepEqual(seen.restarts, [], 'nothing ran');
    assert.equal(seen.permits, 0);
    assert.deepEqual(seen.releases, [{ permitId: 'lease-1', outcome: 'unused' }]);
    await handle.terminate('test done');
  });

  test('a lease not granted leaves the permit to be asked in line once the action is chosen', async () => {
    const { handle, seen } = await open('observe', { lease: { verdict: 'not-asked', reason: 'fake: the governor is busy' }, affectedPmIds: [1], bothServing: false });
    const report = await result(handle);
    assert.equal(report.outcome, 'auto-resolved');
    assert.equal(seen.leases.length, 1);
    assert.equal(seen.permits, 1, 'asked in line');
    assert.deepEqual(seen.classifiedWithMode, ['auto', undefined], 'classified beside the lease in mode auto, then again reading the governor');
    assert.deepEqual(seen.restarts, [[1]]);
    assert.ok((await handle.query(timelineQuery)).some((e) => e.kind === 'lease' && /No lease while diagnosing \(not-asked: fake: the governor is busy\)/.test(e.summary)));
    assert.deepEqual(seen.releases, [{ permitId: 'permit-1', outcome: 'verified', action: 'pm2-restart' }]);
  });
});
