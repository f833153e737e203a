// What every drill does around its fault: note the incidents open before, inject, wait for the incident
// the fault causes to end (or escalate), measure it from the moment of the fault, look for incidents in
// other groups it caused on the side, hand escalations back (a human `resolve`), and settle the service
// before the next run so runs do not bleed into each other.
import type { WorkflowHandle } from '@temporalio/client';
import { SIGNATURE_GROUPS, type SignatureGroup } from '../policy/groups';
import { humanSignals } from '../signals/contract';
import type { IncidentReport, IncidentStatus } from '../signals/incident';
import { awaitIncidentRun, latestRunId, result, status } from '../test/helpers/incidents';
import { eventually, waitForHealthy, type TestSystem } from '../test/helpers/system';
import { judgeRun, type Observed } from './summary';
import type { Pm2Alone } from './baseline';
import type { DrillRun, DrillSpec, FamilyContext } from './types';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const seconds = (from: number, iso: string | null | undefined) => (iso ? Math.round((Date.parse(iso) - from) / 10) / 100 : null);

// ---- cleanup on exit, Ctrl-C included ----

const cleanups = new Set<() => Promise<void>>();

/** Registers something to undo on any exit (newest first); returns its unregistration. */
export function onExit(fn: () => Promise<void>): () => void {
  cleanups.add(fn);
  return () => void cleanups.delete(fn);
}

export async function runCleanups(): Promise<void> {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    await Promise.race([fn().catch((err) => console.error(`cleanup failed: ${String(err)}`)), sleep(20_000)]);
  }
}

/** Runs `body` with `stop` registered for Ctrl-C, and always stops afterwards. */
export async function using<T extends { stop(): Promise<void> }, R>(start: () => Promise<T>, body: (t: T) => Promise<R>): Promise<R> {
  const t = await start();
  const off = onExit(() => t.stop());
  try {
    return await body(t);
  } finally {
    off();
    await t.stop();
  }
}

// ---- the incidents of a drill ----

export type RunIds = Map<SignatureGroup, string | undefined>;

export async function runIdsOf(sys: TestSystem): Promise<RunIds> {
  const ids = await Promise.all(SIGNATURE_GROUPS.map(async (g) => [g, await latestRunId(sys.temporal.client, sys.workflowId(g))] as const));
  return new Map(ids);
}

/** Groups whose latest run is not the one noted before: incidents opened since. */
export async function opened(sys: TestSystem, before: RunIds): Promise<Array<{ group: SignatureGroup; handle: WorkflowHandle }>> {
  const now = await runIdsOf(sys);
  return [...now]
    .filter(([g, id]) => id !== undefined && id !== before.get(g))
    .map(([group, id]) => ({ group, handle: sys.temporal.client.workflow.getHandle(sys.workflowId(group), id) }));
}

export interface Settled {
  status: IncidentStatus;
  report: IncidentReport | null;
  /** Actions taken after the escalation was first seen (the incident must stay frozen). */
  actionsAfterEscalation: number;
}

/**
 * Waits until the incident closes or escalates. An escalated one is watched for `frozenMs` more (no action
 * may follow) and then resolved by a human (operator `drill`), so the next run opens a fresh incident.
 */
export async function settle(handle: WorkflowHandle, timeoutMs = 90_000, frozenMs = 2_000): Promise<Settled> {
  const s = await eventually(
    'the incident to close or escalate',
    async () => {
      const x = await status(handle);
      return x.phase === 'closed' || x.phase === 'escalated' ? x : undefined;
    },
    timeoutMs,
  );
  if (s.phase === 'closed') return { status: s, report: await result(handle), actionsAfterEscalation: 0 };
  await sleep(frozenMs);
  const later = await status(handle);
  await handle.signal(humanSignals.resolve, { operator: 'drill', rootCause: 'drill run over', fix: 'the drill cleared its fault' }).catch(() => undefined);
  const report = await result(handle).catch(() => null);
  return { status: later, report, actionsAfterEscalation: later.actions.length - s.actions.length };
}

function actionLabel(a: IncidentStatus['actions'][number]): string {
  if (a.refused) return `${a.action} (refused)`;
  if (a.error) return `${a.action} (failed)`;
  if (a.verified === false) return `${a.action} (not verified)`;
  return a.action;
}

/** The run's numbers and verdict from the settled incident, measured from the fault. */
export function measureRun(spec: DrillSpec, run: number, faultAt: number, settled: Settled | null, extra: Record<string, unknown> = {}): DrillRun {
  const s = settled?.status;
  const report = settled?.report ?? null;
  const escalated = !!s?.escalation;
  const outcome = !s ? 'no-incident' : escalated ? 'escalated' : (s.outcome ?? s.phase);
  const actions = s?.actions ?? [];
  const firstDone = actions.find((a) => a.performed && !a.error);
  const recovered = !escalated && (s?.outcome === 'auto-resolved' || s?.outcome === 'recovered-without-action');
  const observed: Observed = {
    outcome: s ? outcome : null,
    classified: s?.class ?? null,
    actions: actions.map((a) => ({ action: a.action, performed: a.performed, refused: a.refused, error: a.error })),
    escalated,
    actionsAfterEscalation: settled?.actionsAfterEscalation ?? 0,
  };
  const verdict = judgeRun(spec, observed);
  return {
    drill: spec.id,
    class: spec.class,
    run,
    outcome,
    classified: s?.class ?? null,
    detectSeconds: s ? seconds(faultAt, s.startedAt) : null,
    mitigateSeconds: firstDone ? seconds(faultAt, firstDone.endedAt) : null,
    recoverSeconds: recovered && report ? seconds(faultAt, report.endedAt) : null,
    actions: actions.map(actionLabel),
    baselinePm2Seconds: undefined,
    passed: verdict.passed,
    why: escalated ? `${verdict.why}; escalation: ${s!.escalation!.reason}` : verdict.why,
    incidentIds: s ? [s.incidentId] : [],
    escalation: s?.escalation?.reason ?? null,
    extra: {
      ...(report ? { reportTtrSeconds: report.ttrSeconds, reportDetectSeconds: report.timeToDetectSeconds ?? null, reportMitigateSeconds: report.timeToMitigateSeconds ?? null } : {}),
      ...(escalated ? { escalateSeconds: seconds(faultAt, s!.escalation!.at) } : {}),
      ...extra,
    },
  };
}

/** Incidents other than the drill's own that opened since `before` (collateral), each settled and described. */
export async function collateral(sys: TestSystem, before: RunIds, own: string | undefined): Promise<string[]> {
  const out: string[] = [];
  for (const { group, handle } of await opened(sys, before)) {
    if (handle.workflowId === own) continue;
    const settled = await settle(handle, 60_000).catch(() => null);
    const s = settled?.status;
    out.push(`${group}: ${s?.class ?? 'unclassified'} ${s?.escalation ? 'escalated' : (s?.outcome ?? 'open')}, actions: ${s?.actions.map((a) => a.action).join(', ') || 'none'}`);
  }
  return out;
}

export interface IncidentDrillOptions {
  sys: TestSystem;
  spec: DrillSpec;
  run: number;
  group: SignatureGroup;
  /** Injects the fault and returns its moment (ms since epoch). */
  inject: () => Promise<number>;
  /** Runs once the incident opened (e.g. the missing dependency comes back), before it is settled. */
  afterOpen?: (handle: WorkflowHandle) => Promise<void>;
  openTimeoutMs?: number;
  settleTimeoutMs?: number;
  /** How long an escalated incident is watched for further actions before a human resolves it. */
  frozenMs?: number;
}

/** One run of a drill that must open an incident in `group`: inject, wait for it to end, measure, judge. */
export async function incidentDrill(o: IncidentDrillOptions): Promise<DrillRun> {
  const before = await runIdsOf(o.sys);
  const faultAt = await o.inject();
  const workflowId = o.sys.workflowId(o.group);
  let settled: Settled | null = null;
  let note: string | null = null;
  try {
    const handle = await awaitIncidentRun(o.sys.temporal.client, workflowId, before.get(o.group), o.openTimeoutMs ?? 60_000);
    await o.afterOpen?.(handle);
    settled = await settle(handle, o.settleTimeoutMs ?? 90_000, o.frozenMs ?? 2_000);
  } catch (err) {
    note = err instanceof Error ? err.message : String(err);
    // The drill's condition must still end (e.g. a fault file removed) even when no incident opened.
    await o.afterOpen?.(o.sys.temporal.client.workflow.getHandle(workflowId)).catch(() => undefined);
  }
  const side = await collateral(o.sys, before, workflowId);
  const run = measureRun(o.spec, o.run, faultAt, settled, side.length ? { otherIncidents: side } : {});
  if (note) run.why = `${run.why}; ${note}`;
  return run;
}

/** Waits until no incident of the system is open, every instance answers, and detectors had `quietMs` to resolve. */
export async function quiet(sys: TestSystem, instances = 2, quietMs = 2_000): Promise<void> {
  await eventually(
    'no open incident',
    async () => {
      for (const g of SIGNATURE_GROUPS) {
        try {
          const d = await sys.temporal.client.workflow.getHandle(sys.workflowId(g)).describe();
          if (d.status.name === 'RUNNING') {
            const s = await status(sys.temporal.client.workflow.getHandle(sys.workflowId(g)));
            // An escalated leftover would swallow the next run's alerts: hand it back.
            if (s.phase === 'escalated') await sys.temporal.client.workflow.getHandle(sys.workflowId(g)).signal(humanSignals.resolve, { operator: 'drill', rootCause: 'left over' });
            return undefined;
          }
        } catch {
          // never opened
        }
      }
      return true;
    },
    120_000,
  );
  await eventually(
    `${instances} online instances`,
    async () => {
      const procs = await sys.pm2.listApp(sys.service);
      return procs.length === instances && procs.every((p) => p.status === 'online') ? true : undefined;
    },
    60_000,
  );
  await waitForHealthy(sys.basePort, instances, 30_000);
  await sleep(quietMs);
}

/** Restarts every instance of the service through PM2 (clears runtime faults) and waits until they answer. */
export async function restartAll(sys: TestSystem, instances = 2): Promise<void> {
  for (const p of await sys.pm2.listApp(sys.service)) await sys.pm2.restart(p.pmId).catch(() => undefined);
  await waitForHealthy(sys.basePort, instances, 30_000);
}

/** Prints one run as it finishes. */
export function printRun(r: DrillRun): void {
  const t = (x: number | null) => (x === null ? '—' : `${x.toFixed(2)} s`);
  console.log(
    `  ${r.passed ? 'pass' : 'FAIL'} ${r.drill} #${r.run}: ${r.outcome}, detect ${t(r.detectSeconds)}, mitigate ${t(r.mitigateSeconds)}, recover ${t(r.recoverSeconds)}, actions: ${r.actions.join(', ') || 'none'} — ${r.why}`,
  );
}

/** Steady loopback traffic: a request every `everyMs` per target URL, at most 20 in flight each. */
export class Traffic {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly paused = new Set<string>();
  readonly statuses = new Map<number, number>();
  constructor(targets: Array<{ url: string; method?: string; body?: string }>, everyMs = 40) {
    for (const t of targets) {
      this.timers.push(
        setInterval(() => {
          if (this.inflight.size >= 20 * targets.length || [...this.paused].some((p) => t.url.startsWith(p))) return;
          const p: Promise<void> = fetch(t.url, {
            method: t.method ?? 'GET',
            ...(t.body ? { body: t.body, headers: { 'content-type': 'application/json' } } : {}),
            signal: AbortSignal.timeout(3000),
          })
            .then(
              async (r) => {
                await r.arrayBuffer();
                this.statuses.set(r.status, (this.statuses.get(r.status) ?? 0) + 1);
              },
              () => void this.statuses.set(0, (this.statuses.get(0) ?? 0) + 1),
            )
            .finally(() => this.inflight.delete(p));
          this.inflight.add(p);
        }, everyMs),
      );
    }
  }
  /** Runs `fn` with no traffic to URLs starting with `prefix`, once what was in flight has finished. */
  async without<T>(prefix: string, fn: () => Promise<T>): Promise<T> {
    this.paused.add(prefix);
    try {
      await Promise.all([...this.inflight]);
      return await fn();
    } finally {
      this.paused.delete(prefix);
    }
  }
  async stop(): Promise<void> {
    this.timers.forEach(clearInterval);
    await Promise.all([...this.inflight]);
  }
}

/** A run that could not be carried out (the drill itself failed): recorded, never passed. */
export function errorRun(spec: DrillSpec, run: number, err: unknown): DrillRun {
  return {
    drill: spec.id,
    class: spec.class,
    run,
    outcome: 'error',
    classified: null,
    detectSeconds: null,
    mitigateSeconds: null,
    recoverSeconds: null,
    actions: [],
    baselinePm2Seconds: undefined,
    passed: false,
    why: `the drill failed: ${err instanceof Error ? err.message : String(err)}`,
    incidentIds: [],
    escalation: null,
  };
}

/**
 * Runs every selected drill of a family its number of times: settle first (`prepare`), one run, and after a
 * failed run `recover` (clear faults, restart) so the next starts from a healthy service.
 */
export async function runEach(
  ctx: FamilyContext,
  drills: Record<string, (spec: DrillSpec, run: number) => Promise<DrillRun>>,
  prepare: () => Promise<void>,
  recover: () => Promise<void>,
): Promise<void> {
  for (const spec of ctx.specs) {
    const once = drills[spec.id];
    if (!once) continue;
    for (let run = 1; run <= ctx.runsOf(spec); run++) {
      try {
        await prepare();
      } catch (err) {
        console.error(`  ${spec.id} #${run}: not settled before the run (${String(err)}); recovering`);
        await recover().catch((e) => console.error(`  recovery failed: ${String(e)}`));
      }
      let r: DrillRun;
      try {
        r = await once(spec, run);
      } catch (err) {
        r = errorRun(spec, run, err);
      }
      ctx.record(r);
      if (!r.passed) await recover().catch((e) => console.error(`  recovery failed: ${String(e)}`));
    }
  }
}

/** Measures the PM2-alone baseline of each selected drill that has one, in an environment of its own. */
export async function runBaselines(
  ctx: FamilyContext,
  start: () => Promise<Pm2Alone>,
  measures: Record<string, (env: Pm2Alone) => Promise<number | null>>,
): Promise<void> {
  const wanted = ctx.specs.filter((s) => measures[s.id]);
  if (!ctx.baseline || wanted.length === 0) return;
  await using(start, async (env) => {
    for (const spec of wanted) {
      let seconds: number | null = null;
      try {
        seconds = await measures[spec.id]!(env);
      } catch (err) {
        console.error(`  baseline ${spec.id} failed: ${String(err)}`);
      }
      console.log(`  PM2 alone, ${spec.id}: ${seconds === null ? `not recovered within ${ctx.baselineLimitMs / 1000} s` : `${seconds.toFixed(2)} s`}`);
      ctx.setBaseline(spec.id, seconds);
      if (spec !== wanted.at(-1)) await env.reset().catch((err) => console.error(`  baseline reset failed: ${String(err)}`));
    }
  });
}
