// The governor on a real Temporal server: a real Worker runs governorWorkflow from the production bundle,
// and the permit activities are driven the way an incident drives them (a workflow calling them on a
// Worker whose own client reaches the governor). Operators steer it with the real `zt` process; every
// change is checked in the governor's state and in its history. The steps share one governor and run
// in order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { parseConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { createLogger } from '../../observability/logger';
import type { Pm2Client } from '../../pm2/client';
import {
  governorStateQuery,
  governorTaskQueue,
  governorWorkflowId,
  type GovernorView,
  type PermitReleaseResult,
  type PermitRequest,
  type PermitVerdict,
} from '../../signals/governor';
import { ensureGovernor, governorHandle, startGovernor } from '../../signals/governor-client';
import { recordHistory } from '../helpers/incidents';
import type { DriverCall, permitDriver } from '../helpers/permit-driver-workflow';
import { eventually, workflowBundle } from '../helpers/system';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { runZt, type ZtRun } from '../helpers/zt';

const suffix = `${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
const API = `gov-api-${suffix}`;
const WEB = `gov-web-${suffix}`;
const DEFAULT_OPERATOR = 'ci-operator';

describe('the governor on a real Temporal server', () => {
  let temporal: TestTemporal;
  let rawConfig: Record<string, any>;
  let config: Config;
  let workers: Worker[] = [];
  let runs: Promise<void>[] = [];
  let driverQueue: string;
  let governor: WorkflowHandle;
  let driven = 0;

  before(async () => {
    temporal = await testTemporal();
    const taskQueue = uniqueTaskQueue('gov');
    driverQueue = `${taskQueue}-driver`;
    rawConfig = {
      temporal: { taskQueue, address: temporal.address, namespace: temporal.namespace },
      services: [
        { name: API, basePort: 41000, instances: 2 },
        { name: WEB, basePort: 41100, instances: 2 },
      ],
      operators: ['alice', DEFAULT_OPERATOR],
      governor: { actionsPerHour: 20, leaseTtlMs: 8_000, breaker: { maxRemediations: 2 } },
    };
    config = parseConfig(rawConfig);
    const logger = createLogger('test');
    // The governor's activities use no PM2.
    const activities = createActivities({ config, pm2: null as unknown as Pm2Client, logger });
    const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };
    const [production, driver] = await Promise.all([
      workflowBundle(),
      bundleWorkflowCode({ workflowsPath: require.resolve('../helpers/permit-driver-workflow'), logger: silent }),
    ]);
    workers = await Promise.all([
      Worker.create({ connection: temporal.native, namespace: temporal.namespace, taskQueue: governorTaskQueue(taskQueue), workflowBundle: production, activities }),
      Worker.create({ connection: temporal.native, namespace: temporal.namespace, taskQueue: driverQueue, workflowBundle: driver, activities }),
    ]);
    runs = workers.map((w) => w.run());
    governor = temporal.client.workflow.getHandle(governorWorkflowId(taskQueue));
  });

  after(async () => {
    try {
      await governor?.terminate('governor test cleanup').catch(() => undefined);
    } finally {
      for (const w of workers) w.shutdown();
      await Promise.all(runs);
      await temporal?.close();
    }
  });

  // ---- helpers ----

  function drive<T>(call: DriverCall): Promise<T> {
    return temporal.client.workflow.execute<typeof permitDriver>('permitDriver', {
      taskQueue: driverQueue,
      workflowId: `permit-driver-${suffix}-${++driven}`,
      args: [call],
    }) as Promise<T>;
  }
  const request = (req: PermitRequest) => drive<PermitVerdict>({ kind: 'request', req });
  const release = (permitId: string, outcome: 'verified' | 'failed' | 'not-performed') =>
    drive<PermitReleaseResult>({ kind: 'release', release: { permitId, outcome } });
  const state = () => governor.query(governorStateQuery);

  const incident = (name: string, service = API): PermitRequest => ({
    incidentWorkflowId: `incident-${service}.${name}`,
    incidentId: `INC-${name}`,
    service,
    action: 'pm2-restart',
    takesOutOfService: 1,
    instances: 2,
  });

  function grantedId(v: PermitVerdict): string {
    assert.equal(v.verdict, 'granted', v.reason);
    return (v as { permitId: string }).permitId;
  }

  function zt(...args: string[]): Promise<ZtRun> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      ZT_CONFIG: JSON.stringify(rawConfig),
      ZT_OPERATOR: DEFAULT_OPERATOR,
    };
    return runZt(args, env, 60_000);
  }
  async function ztOk(...args: string[]): Promise<string> {
    const run = await zt(...args);
    assert.equal(run.code, 0, `zt ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return run.stdout;
  }

  /** Signals as the history records them: name and decoded payload. */
  async function signalsInHistory(handle: WorkflowHandle): Promise<Array<{ name: string; payload: any }>> {
    const history = await handle.fetchHistory();
    return (history.events ?? [])
      .map((e) => e.workflowExecutionSignaledEventAttributes)
      .filter((a) => a != null)
      .map((a) => ({ name: a.signalName ?? '', payload: a.input?.payloads?.[0] ? defaultPayloadConverter.fromPayload(a.input.payloads[0] as any) : undefined }));
  }

  // ---- the steps ----

  test('the first permit request starts the governor, from a real activity, and is granted', async () => {
    await assert.rejects(governor.describe(), WorkflowNotFoundError);
    const verdict = await request(incident('a'));
    grantedId(verdict);
    assert.match(verdict.reason, new RegExp(`pm2-restart on ${API} for INC-a: action 1 of 20 this hour`));
    const d = await governor.describe();
    assert.equal(d.status.name, 'RUNNING');
    assert.equal(d.type, 'governorWorkflow');
    const s = await drive<GovernorView>({ kind: 'read' });
    assert.equal(s.mode.mode, 'auto');
    assert.equal(s.services.find((x) => x.service === API)?.lease?.incidentId, 'INC-a');
  });

  test('one acting incident per service: the second waits until the first releases', async () => {
    const lease = (await state()).services.find((x) => x.service === API)!.lease!;
    const wait = await request(incident('b'));
    assert.equal(wait.verdict, 'wait');
    assert.match(wait.reason, /being remediated by INC-a/);
    assert.ok(wait.verdict === 'wait' && wait.retryAfterMs! > 0 && wait.retryAfterMs! <= 8_000);

    const released = await release(lease.permitId, 'verified');
    assert.equal(released.released, true);
    assert.equal(released.breakerOpened, false);
    // A retried release is harmless: the same answer (Temporal dedupes the update id), counted once.
    assert.deepEqual(await release(lease.permitId, 'verified'), released);
    assert.equal((await state()).services.find((x) => x.service === API)?.breaker.remediations, 1);
    const b = grantedId(await request(incident('b')));
    const second = await release(b, 'verified');
    assert.equal(second.breakerOpened, true, 'the second verified remediation within the hour opens the breaker (maxRemediations 2)');
  });

  test('the breaker escalates recurring incidents until `zt breaker reset`', async () => {
    const refused = await request(incident('c'));
    assert.equal(refused.verdict, 'escalate');
    assert.match(refused.reason, new RegExp(`^recurring: ${API} was remediated 2 times in the last hour; this is a problem for humans`));

    const out = await ztOk('breaker', 'reset', API, '--operator', 'alice', '--reason', 'fixed the leak');
    assert.match(out, new RegExp(`alice closed the open breaker of ${API}: fixed the leak`));
    const c = grantedId(await request(incident('c')));
    await release(c, 'not-performed');
  });

  test('`zt mode observe`: permits become plans, the change is in the state and in the history; `zt mode auto` returns', async () => {
    const out = await ztOk('mode', 'observe', '--reason', 'drill');
    assert.match(out, /ci-operator set mode observe \(was auto\): drill/);
    const shown = JSON.parse(await ztOk('mode', '--json'));
    assert.deepEqual({ mode: shown.mode, by: shown.by, reason: shown.reason }, { mode: 'observe', by: DEFAULT_OPERATOR, reason: 'drill' });

    const planned = await request(incident('d'));
    assert.equal(planned.verdict, 'observe');
    assert.match(planned.reason, /observe mode \(set by ci-operator: drill\): would run pm2-restart/);

    const view = await state();
    const entry = view.audit.find((e) => e.kind === 'mode' && e.actor === DEFAULT_OPERATOR);
    assert.ok(entry?.applied, JSON.stringify(view.audit));
    const signals = await signalsInHistory(governor);
    assert.ok(
      signals.some((s) => s.name === 'setMode' && s.payload?.operator === DEFAULT_OPERATOR && s.payload?.mode === 'observe' && s.payload?.reason === 'drill'),
      JSON.stringify(signals),
    );

    const json = JSON.parse(await ztOk('mode', 'auto', '--operator', 'alice', '--json'));
    assert.equal(json.applied, true);
    assert.equal(json.signal, 'setMode');
    assert.deepEqual(json.payload, { operator: 'alice', mode: 'auto' });
    const d = grantedId(await request(incident('d')));
    await release(d, 'failed');
  });

  test('operators outside the allowlist are recorded and ignored', async () => {
    const run = await zt('mode', 'frozen', '--operator', 'mallory');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /recorded and ignored setMode: ignored setMode from mallory: not on the operator allowlist/);
    const view = await state();
    assert.equal(view.mode.mode, 'auto');
    assert.ok(view.audit.some((e) => e.kind === 'rejected' && e.actor === 'mallory' && !e.applied));
  });

  test('`zt maintenance start|end`: a service in maintenance only observes; unknown services are refused', async () => {
    const out = await ztOk('maintenance', 'start', WEB, '--for', '30m', '--reason', 'kernel update');
    assert.match(out, new RegExp(`ci-operator put ${WEB} in maintenance until .*: kernel update`));
    const observed = await request(incident('e', WEB));
    assert.equal(observed.verdict, 'observe');
    assert.match(observed.reason, /in maintenance until .* \(ci-operator: kernel update\)/);
    // The other service is not affected.
    await release(grantedId(await request(incident('f'))), 'failed');

    await ztOk('maintenance', 'end', WEB, '--reason', 'done');
    await release(grantedId(await request(incident('e', WEB))), 'failed');

    const unknown = await zt('maintenance', 'start', 'no-such-service', '--for', '5m', '--reason', 'x');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown service "no-such-service"/);
  });

  test('blast radius beyond the bound escalates; a malformed request is a terminal error', async () => {
    const wide = await request({ ...incident('g'), takesOutOfService: 2 });
    assert.equal(wide.verdict, 'escalate');
    assert.match(wide.reason, /blast radius: the action would take 2 of 2 instance\(s\) out of service at once; the bound is 1/);

    await assert.rejects(request({ ...incident('h'), takesOutOfService: -1 }), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.match(String((err.cause as any)?.cause?.message ?? err.cause?.message), /invalid permit request: takesOutOfService/);
      return true;
    });
  });

  test('an unreleased lease expires after its TTL, recorded, and the next incident gets the service', async () => {
    grantedId(await request(incident('i', WEB)));
    assert.equal((await request(incident('j', WEB))).verdict, 'wait');
    const granted = await eventually('the lease of incident i to expire', async () => {
      const v = await request(incident('j', WEB));
      return v.verdict === 'granted' ? v : undefined;
    }, 20_000);
    grantedId(granted);
    const view = await state();
    assert.ok(view.audit.some((e) => e.kind === 'lease-expired' && e.service === WEB && /INC-i/.test(e.summary)), JSON.stringify(view.audit.slice(-5)));
  });

  test('`zt governor` shows mode, budgets, leases, breakers and the audit', async () => {
    const view = JSON.parse(await ztOk('governor', '--json')) as GovernorView;
    assert.equal(view.mode.mode, 'auto');
    assert.deepEqual(view.operators, ['alice', DEFAULT_OPERATOR]);
    const api = view.services.find((s) => s.service === API)!;
    assert.equal(api.budget.limit, 20);
    assert.ok(api.budget.used >= 5, JSON.stringify(api.budget));
    assert.equal(api.breaker.open, false);
    assert.equal(view.services.find((s) => s.service === WEB)?.lease?.incidentId, 'INC-j');

    const text = await ztOk('governor');
    assert.match(text, /^mode {7}auto/m);
    assert.match(text, new RegExp(`^${WEB}\\s+-\\s+\\d+/20\\s+INC-j pm2-restart until`, 'm'));
    assert.match(text, /Recent changes/);
    await recordHistory(governor, 'governor-permits-and-operators', temporal.address);
  });

  test('`zt limits set` lowers the budget at runtime: a permit escalates for budget; `zt limits clear` returns to config', async () => {
    const used = (await state()).services.find((s) => s.service === API)!.budget.used;
    assert.ok(used >= 1 && used < 20, `used ${used}`);
    const before = JSON.parse(await ztOk('limits', API, '--json'));
    assert.deepEqual(before.actionsPerHour, { value: 20, source: 'default', config: { value: 20, source: 'default' } });

    const out = await ztOk('limits', 'set', API, '--actions-per-hour', String(used), '--reason', 'noisy deploy');
    assert.match(out, new RegExp(`ci-operator set runtime limits of ${API}: actionsPerHour ${used} \\(was 20 from default; ${used} used in the last hour\\): noisy deploy`));
    const spent = await request(incident('m'));
    assert.equal(spent.verdict, 'escalate', spent.reason);
    assert.match(spent.reason, new RegExp(`^action budget spent: ${used} automatic action\\(s\\) on ${API} in the last hour \\(limit ${used}\\)`));

    const shown = JSON.parse(await ztOk('limits', API, '--json'));
    assert.deepEqual(
      { value: shown.actionsPerHour.value, source: shown.actionsPerHour.source, by: shown.actionsPerHour.runtime?.by, reason: shown.actionsPerHour.runtime?.reason },
      { value: used, source: 'runtime', by: DEFAULT_OPERATOR, reason: 'noisy deploy' },
    );
    assert.match(await ztOk('limits', API), new RegExp(`^actionsPerHour\\s+${used}\\s+runtime\\s+20 \\(default\\)\\s+ci-operator at .*: noisy deploy$`, 'm'));
    assert.match(await ztOk('governor'), new RegExp(`^${API}\\s+actionsPerHour\\s+${used}\\s+20 \\(default\\)\\s+ci-operator at`, 'm'));

    const cleared = JSON.parse(await ztOk('limits', 'clear', API, '--operator', 'alice', '--reason', 'deploy done', '--json'));
    assert.deepEqual({ signal: cleared.signal, applied: cleared.applied, kind: cleared.audit.kind, actor: cleared.audit.actor }, { signal: 'clearLimits', applied: true, kind: 'limits-clear', actor: 'alice' });
    assert.match(cleared.audit.summary, new RegExp(`alice cleared the runtime limits of ${API} \\(actionsPerHour ${used} → 20 from default\\): deploy done; config applies again`));
    const again = await request(incident('m'));
    assert.match(again.reason, new RegExp(`action ${used + 1} of 20 this hour`));
    await release(grantedId(again), 'failed');

    const view = await state();
    assert.ok(view.audit.some((e) => e.kind === 'limits-set' && e.actor === DEFAULT_OPERATOR && e.service === API && e.applied), JSON.stringify(view.audit.slice(-5)));
    assert.equal(view.services.find((s) => s.service === API)?.limits.actionsPerHour.source, 'default');
    const signals = await signalsInHistory(governor);
    assert.ok(
      signals.some((s) => s.name === 'setLimits' && s.payload?.operator === DEFAULT_OPERATOR && s.payload?.service === API && s.payload?.actionsPerHour === used && s.payload?.reason === 'noisy deploy'),
      JSON.stringify(signals),
    );
    assert.ok(signals.some((s) => s.name === 'clearLimits' && s.payload?.operator === 'alice' && s.payload?.reason === 'deploy done'), JSON.stringify(signals));
    await recordHistory(governor, 'governor-runtime-limits', temporal.address);
  });

  test('a worker start hands the governor its config; a changed one is recorded', async () => {
    const before = (await state()).audit.at(-1)!.seq;
    await ensureGovernor(temporal.client, config, 'test worker');
    await ensureGovernor(temporal.client, parseConfig({ ...rawConfig, governor: { ...rawConfig.governor, actionsPerHour: 30 } }), 'test worker 2');
    const view = await eventually('the new settings', async () => {
      const v = await state();
      return v.settings.actionsPerHour === 30 ? v : undefined;
    });
    const added = view.audit.filter((e) => e.seq > before);
    assert.deepEqual(
      added.filter((e) => e.kind === 'configured').map((e) => e.summary),
      ['settings changed by test worker 2: actionsPerHour'],
    );
  });

  test('continue-as-new carries the state, and a governor that ended is started again on demand', async () => {
    const mode = await ztOk('mode', 'observe', '--reason', 'before the move');
    assert.match(mode, /set mode observe/);
    await governor.terminate('test: start one that continues as new early');
    // An ended governor: the next permit request starts a fresh one (USE_EXISTING start, then the update).
    assert.equal((await request(incident('k'))).verdict, 'granted');
    assert.equal((await state()).mode.mode, 'auto', 'a fresh governor starts in the configured mode');
    await governor.terminate('test: now one that continues as new early');

    await startGovernor(temporal.client, config, { continueAsNewAfterEvents: 30 });
    const first = (await governor.describe()).runId;
    await ztOk('mode', 'observe', '--reason', 'carried');
    for (let i = 0; i < 6; i++) await request(incident(`l${i}`));
    const moved = await eventually('a continued run', async () => {
      const d = await governorHandle(temporal.client, config).describe();
      return d.runId !== first ? d : undefined;
    });
    assert.equal(moved.status.name, 'RUNNING');
    assert.equal(moved.taskQueue, governorTaskQueue(config.temporal.taskQueue), 'the governor continues on its own queue');
    const view = await state();
    assert.ok(view.generation >= 1, `generation ${view.generation}`);
    assert.equal(view.mode.mode, 'observe');
    assert.equal(view.mode.reason, 'carried');
    assert.ok(view.decisions.filter((d) => d.incidentId.startsWith('INC-l')).length >= 1);
  });
});
