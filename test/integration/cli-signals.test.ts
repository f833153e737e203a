// The `zt` CLI end to end, as an operator runs it: a real Temporal server and a real Worker running
// incidentWorkflow, with fake activities (this tests the CLI, not remediation): the instance "hangs",
// restarts change nothing and verification never succeeds, so the incident escalates and stays open
// until a human resolves it through `zt`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import type { Diagnosis, Evidence } from '../../policy/types';
import type { Alert } from '../../signals/alert';
import { alertSignal, statusQuery } from '../../signals/contract';
import { workflowIdFor, type IncidentReport, type IncidentStatus } from '../../signals/incident';
import { IncidentPhase, IncidentService } from '../../signals/search-attributes';
import type { incidentWorkflow } from '../../workflows';
import { fakeReportActivities } from '../helpers/fake-report-activities';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { runZt, type ZtRun } from '../helpers/zt';

const SERVICE = `cli-it-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
const KEY = `${SERVICE}.availability`;
const WORKFLOW_ID = workflowIdFor(KEY);
const DEFAULT_OPERATOR = 'ci-operator';

let temporal: TestTemporal;
let worker: Worker;
let workerRun: Promise<void>;
let handle: WorkflowHandle<typeof incidentWorkflow>;

// ---- fakes: a hang that no restart cures ----

const hang: Omit<Diagnosis, 'policy'> = {
  signatureId: 'hang',
  class: 'deadlock',
  healthy: false,
  severity: 'low',
  confidence: 0.9,
  reasons: ['Instance 0 is online but its health probe times out (fake evidence).'],
  riskFlags: [],
  affectedPmIds: [0],
  playbook: ['pm2-restart'],
};

// Only the activities this incident reaches; the workflow never schedules the other actions here.
const activities: Partial<Activities> = {
  async collectEvidence(req): Promise<Evidence> {
    return {
      service: req.service,
      collectedAt: new Date().toISOString(),
      expectedInstances: 1,
      serviceTags: [],
      instances: [],
      alerts: req.alerts,
    };
  },
  async classifyEvidence(): Promise<Diagnosis> {
    return { ...hang, policy: { mode: 'auto', confidenceThreshold: 0.7, maxFailedAttempts: 2 } };
  },
  async restartInstances() {
    return { performed: true, summary: 'fake restart: nothing changed', undo: { kind: 'none', why: 'a restart has nothing to undo' } };
  },
  async verifyRecovery() {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { healthy: false, summary: 'fake verification: health probe still times out' };
  },
  // Pages and notifications go nowhere; no traffic to measure, a ledger that accepts, no draft.
  ...fakeReportActivities,
  // The governor is not under test here: every action is permitted.
  async requestActionPermit() {
    return { verdict: 'granted', permitId: 'fake-1', reason: 'fake governor', leaseExpiresAt: new Date(Date.now() + 60_000).toISOString() };
  },
  async releaseActionPermit() {
    return { released: true, summary: 'fake governor', breakerOpened: false };
  },
  async readGovernor() {
    throw new Error('not used by this test');
  },
};

// ---- running the CLI as a child process ----

function zt(...args: string[]): Promise<ZtRun> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    ZT_OPERATOR: DEFAULT_OPERATOR,
  };
  delete env.ZT_CONFIG;
  return runZt(args, env);
}

/** Runs a `--json` command that must succeed and returns its parsed stdout. */
async function ztJson<T>(...args: string[]): Promise<T> {
  const run = await zt(...args, '--json');
  assert.equal(run.code, 0, `zt ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Signals are applied by the next workflow task; `zt show` is polled until the status reflects one. */
function awaitShownStatus(what: string, predicate: (s: IncidentStatus) => boolean): Promise<IncidentStatus> {
  return waitFor(what, async () => {
    const { status } = await ztJson<{ status: IncidentStatus }>('show', KEY);
    return predicate(status) ? status : undefined;
  });
}

interface IncidentRowJson {
  incidentId: string;
  workflowId: string;
  service: string | null;
  class: string | null;
  severity: string | null;
  phase: string | null;
  outcome: string | null;
  startedAt: string;
  ttrSeconds: number | null;
}

// ---- the system under test ----

before(async () => {
  temporal = await testTemporal();
  const taskQueue = uniqueTaskQueue('cli');
  worker = await Worker.create({
    connection: temporal.native,
    namespace: temporal.namespace,
    taskQueue,
    workflowsPath: require.resolve('../../workflows'),
    activities,
  });
  workerRun = worker.run();
  // Started exactly as ingress/ingest.ts starts an incident.
  const alert: Alert = {
    source: 'sentinel',
    service: SERVICE,
    name: 'InstanceHealthTimeout',
    status: 'firing',
    instance: 0,
    summary: 'Health probe of instance 0 timed out twice.',
    labels: {},
    annotations: {},
    risk: [],
    startsAt: new Date().toISOString(),
    fingerprint: `${SERVICE}/0/health-timeout`,
    count: 1,
  };
  handle = await temporal.client.workflow.signalWithStart<typeof incidentWorkflow, [unknown]>('incidentWorkflow', {
    workflowId: WORKFLOW_ID,
    taskQueue,
    args: [{ key: KEY, service: SERVICE, alert }],
    signal: alertSignal,
    signalArgs: [alert],
    staticSummary: `${SERVICE}: ${alert.name}`,
    typedSearchAttributes: [
      { key: IncidentService, value: SERVICE },
      { key: IncidentPhase, value: 'diagnosing' },
    ],
  });
  await waitFor('the fake incident to escalate', async () => {
    const s = await handle.query(statusQuery);
    return s.phase === 'escalated' ? s : undefined;
  });
});

after(async () => {
  try {
    if (handle) await handle.terminate('cli test cleanup').catch(() => undefined);
  } finally {
    if (worker) {
      worker.shutdown();
      await workerRun;
    }
    await temporal?.close();
  }
});

// The steps share one incident and run in order.

test('zt incidents lists the open incident in the contract shape', async () => {
  const rows = await waitFor('the incident in visibility, escalated', async () => {
    const listed = await ztJson<IncidentRowJson[]>('incidents', '--open', '--service', SERVICE);
    return listed.length === 1 && listed[0]?.phase === 'escalated' ? listed : undefined;
  });
  const status = await handle.query(statusQuery);
  assert.deepEqual(rows, [
    {
      incidentId: status.incidentId,
      workflowId: WORKFLOW_ID,
      service: SERVICE,
      class: 'deadlock',
      severity: 'low',
      phase: 'escalated',
      outcome: null,
      startedAt: rows[0]?.startedAt,
      ttrSeconds: null,
    },
  ]);
  assert.ok(!Number.isNaN(Date.parse(rows[0]?.startedAt ?? '')), 'startedAt is an ISO time');
  assert.deepEqual(await ztJson('incidents', '--closed', '--service', SERVICE), []);

  const table = await zt('incidents', '--open', '--service', SERVICE);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^INCIDENT\s+SERVICE/);
  assert.match(table.stdout, new RegExp(`${status.incidentId}\\s+${SERVICE}\\s+deadlock\\s+low\\s+escalated`));
});

test('zt show finds the incident by key, workflow id and incident ID', async () => {
  const byKey = await ztJson<{ status: IncidentStatus; timeline: Array<{ kind: string }> }>('show', KEY);
  assert.equal(byKey.status.workflowId, WORKFLOW_ID);
  assert.equal(byKey.status.phase, 'escalated');
  assert.equal(byKey.status.frozen, true);
  const kinds = byKey.timeline.map((e) => e.kind);
  assert.ok(kinds.includes('detected') && kinds.includes('escalated'), kinds.join(','));

  const [byWorkflowId, byIncidentId, text] = await Promise.all([
    ztJson<{ status: IncidentStatus }>('show', WORKFLOW_ID),
    ztJson<{ status: IncidentStatus }>('show', byKey.status.incidentId),
    zt('show', byKey.status.incidentId),
  ]);
  assert.equal(byWorkflowId.status.incidentId, byKey.status.incidentId);
  assert.equal(byIncidentId.status.workflowId, WORKFLOW_ID);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^phase\s+escalated$/m);
  assert.match(text.stdout, /^Timeline$/m);
});

test('an invalid payload is refused before sending, naming the field', async () => {
  const run = await zt('pause', KEY, '--operator', '');
  assert.equal(run.code, 2);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /invalid pause payload: operator: operator is required/);
  const s = await handle.query(statusQuery);
  assert.equal(s.paused, false, 'nothing was sent');
});

test('zt pause and resume (operator from ZT_OPERATOR)', async () => {
  const sent = await ztJson<{ workflowId: string; signal: string; payload: unknown }>('pause', KEY, '--reason', 'looking');
  assert.deepEqual(sent, { workflowId: WORKFLOW_ID, signal: 'pause', payload: { operator: DEFAULT_OPERATOR, reason: 'looking' } });
  const paused = await awaitShownStatus('paused', (s) => s.paused);
  assert.equal(paused.pausedBy, DEFAULT_OPERATOR);

  const resumed = await zt('resume', KEY);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`^sent resume to ${WORKFLOW_ID.replace(/\./g, '\\.')} as ${DEFAULT_OPERATOR}`));
  await awaitShownStatus('resumed', (s) => !s.paused);
});

test('zt takeover and release', async () => {
  const sent = await ztJson<{ signal: string; payload: unknown }>('takeover', KEY, '--operator', 'alice', '--reason', 'investigating');
  assert.deepEqual(sent.payload, { operator: 'alice', reason: 'investigating' });
  assert.equal(sent.signal, 'takeOver');
  await awaitShownStatus('controlled by alice', (s) => s.controller === 'alice');

  await ztJson('release', WORKFLOW_ID, '--operator', 'alice');
  const released = await awaitShownStatus('released', (s) => s.controller === null);
  assert.ok(released.controller === null);
  const { timeline } = await ztJson<{ timeline: Array<{ kind: string; operator?: string }> }>('show', KEY);
  assert.ok(timeline.some((e) => e.kind === 'taken-over' && e.operator === 'alice'));
  assert.ok(timeline.some((e) => e.kind === 'released' && e.operator === 'alice'));
});

test('zt resolve closes the incident as resolved by a human', async () => {
  const sent = await ztJson<{ payload: unknown }>('resolve', KEY, '--operator', 'alice', '--root-cause', 'fake hang', '--fix', 'restarted by hand');
  assert.deepEqual(sent.payload, { operator: 'alice', rootCause: 'fake hang', fix: 'restarted by hand' });
  const report = (await handle.result()) as IncidentReport;
  assert.equal(report.outcome, 'resolved-by-human');
  assert.deepEqual(report.resolution, { operator: 'alice', rootCause: 'fake hang', fix: 'restarted by hand' });

  const shown = await ztJson<{ report: IncidentReport }>('show', KEY);
  assert.deepEqual(Object.keys(shown), ['report']);
  assert.equal(shown.report.incidentId, report.incidentId);
  assert.equal(shown.report.outcome, 'resolved-by-human');

  const rows = await waitFor('the closed incident in visibility', async () => {
    const listed = await ztJson<IncidentRowJson[]>('incidents', '--closed', '--service', SERVICE);
    return listed[0]?.outcome === 'resolved-by-human' ? listed : undefined;
  });
  assert.equal(rows.length, 1);
  assert.equal(rows[0]?.phase, 'closed');
  assert.equal(rows[0]?.ttrSeconds, report.ttrSeconds);
});

test('signals to a closed or unknown incident exit 2', async () => {
  const closed = await zt('pause', KEY, '--operator', 'alice');
  assert.equal(closed.code, 2);
  assert.match(closed.stderr, new RegExp(`no open incident ${KEY.replace(/\./g, '\\.')}`));
  const unknown = await zt('approve', `${SERVICE}.nothing-here`, '--json');
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stdout, '');
  assert.match(unknown.stderr, /no open incident/);
  const missing = await zt('show', 'INC-20000101-00000000');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no incident INC-20000101-00000000/);
});
