// `npm run bench:decision [runs]`: decision latency — from the alert accepted (the sentinel's alert about
// the hung instance has gone through the ingest path: the incident's workflow is started) to the first
// action started (restartInstances' ActivityTaskStarted event in the incident's history) — for a real hang
// of a demo instance, detected by the real sentinel, on the real system (Temporal dev server, PM2, demo
// target, worker in-process). Against the Temporal floor on the same server in the same
// run: a no-op workflow with one activity round trip (start → activity → result), interleaved with the
// incidents, measured both on the healthy system and under the decision's own load (right after the fault
// is injected, while the hung instance spins a core and before the sentinel alerts): the ratio that counts
// compares like with like. Each decision is broken into phases read from the history: until the first
// workflow task starts, the decision itself (first workflow task started → the task that schedules the action
// completed: the governor's lease beside the evidence and its classification, local activities in the
// incident's first task), and the action's dispatch.
// Numbers, not assertions; writes reports/bench-decision.json.
process.env.ZT_TEMPORAL_METRICS_ADDRESS ??= 'off';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { injectFault } from '../demo/faults';
import type { AlertInput } from '../signals/alert';
import { eventMs } from '../drills/reliability/common';
import { awaitIncidentRun, latestRunId, localActivityMarker, result } from '../test/helpers/incidents';
import { eventually, startTestSystem, waitForHealthy } from '../test/helpers/system';
import { BENCH_GOVERNOR, quantile, runBench } from './recovery-summary';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const ACTION = 'restartInstances';

interface ActivityTimes {
  scheduled: number;
  started: number;
  completed: number;
}

/** The first execution of each activity type: scheduled, (last) started, completed — ms since the epoch. */
export function activityTimes(events: HistoryEvent[]): Map<string, ActivityTimes> {
  const typeOf = new Map<string, string>();
  const out = new Map<string, ActivityTimes>();
  for (const e of events) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) {
      const type = e.activityTaskScheduledEventAttributes.activityType?.name ?? '?';
      typeOf.set(id, type);
      if (!out.has(type)) out.set(type, { scheduled: eventMs(e.eventTime), started: NaN, completed: NaN });
    }
    const startedFor = e.activityTaskStartedEventAttributes?.scheduledEventId;
    const completedFor = e.activityTaskCompletedEventAttributes?.scheduledEventId;
    for (const [ref, field] of [[startedFor, 'started'], [completedFor, 'completed']] as const) {
      if (ref === undefined || ref === null) continue;
      const type = typeOf.get(String(ref));
      const t = type ? out.get(type) : undefined;
      if (t && Number.isNaN(t[field])) t[field] = eventMs(e.eventTime);
    }
  }
  return out;
}

/** The activity type of a local activity's marker (the decision's steps in newer runs), or null. */
function localActivityOf(e: HistoryEvent): string | null {
  const payload = localActivityMarker(e)?.details?.data?.payloads?.[0];
  if (!payload) return null;
  const data = defaultPayloadConverter.fromPayload(payload as Parameters<typeof defaultPayloadConverter.fromPayload>[0]) as { activity_type?: string };
  return data.activity_type ?? '?';
}

/** The history as [event type (activity type), ms since `from`] up to `until`, to see where a decision's time goes. */
function timelineUntil(events: HistoryEvent[], from: number, until: number): Array<[string, number]> {
  const typeOf = new Map<string, string>();
  const out: Array<[string, number]> = [];
  for (const e of events) {
    const at = eventMs(e.eventTime);
    if (at > until) break;
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) typeOf.set(String(e.eventId), scheduled);
    const ref = e.activityTaskStartedEventAttributes?.scheduledEventId ?? e.activityTaskCompletedEventAttributes?.scheduledEventId;
    const activity = scheduled ?? (ref != null ? typeOf.get(String(ref)) : undefined);
    const type = String(temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? e.eventType).replace(/^EVENT_TYPE_/, '');
    const local = localActivityOf(e);
    if (local) {
      // Recorded when the decision's workflow task completed, not when the local activity ran.
      out.push([`LOCAL_ACTIVITY ${local} (recorded)`, at - from]);
      continue;
    }
    out.push([activity ? `${type} ${activity}` : type, at - from]);
  }
  return out;
}

interface DecisionRun {
  run: number;
  /** When the alert was accepted (ms since the epoch), to line a run up with worker logs and traces. */
  acceptedAt: number;
  /** Fault injected → the sentinel's alert accepted (its damping: consecutive failing probes). */
  detectMs: number;
  decisionMs: number;
  /** Alert accepted → the incident's first workflow task started (the server hands it to the worker). */
  toFirstTaskMs: number;
  /** First workflow task started → the workflow task that scheduled the action completed: the decision itself. */
  decidingMs: number;
  /** That workflow task completed → the action's activity started. */
  dispatchMs: number;
  /** Activities (not local) that ran before the action: older code paths ran the decision's steps as activities. */
  activitiesBefore: string[];
  outcome: string;
  /** Every history event up to the action's start: its type (and activity) and ms since the alert was accepted. */
  timeline: Array<[string, number]>;
}

/** The phases of a decision from the incident's history (ms since the epoch). */
export function decisionPhases(events: HistoryEvent[], accepted: number, actionType: string) {
  const eventName = (e: HistoryEvent) => String(temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? '');
  const firstTaskStarted = events.find((e) => eventName(e) === 'EVENT_TYPE_WORKFLOW_TASK_STARTED');
  const actionScheduledAt = events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === actionType);
  const deciding = actionScheduledAt < 0 ? undefined : events.slice(0, actionScheduledAt).reverse().find((e) => eventName(e) === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED');
  const action = activityTimes(events).get(actionType);
  const activitiesBefore = events
    .slice(0, Math.max(0, actionScheduledAt))
    .flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : []));
  return {
    toFirstTaskMs: eventMs(firstTaskStarted?.eventTime) - accepted,
    decidingMs: eventMs(deciding?.eventTime) - eventMs(firstTaskStarted?.eventTime),
    dispatchMs: (action?.started ?? NaN) - eventMs(deciding?.eventTime),
    activitiesBefore,
  };
}

interface FloorRun {
  /** `healthy`: between incidents; `faulted`: while the hung instance spins its core, before the alert. */
  when: 'healthy' | 'faulted';
  roundTripMs: number;
  endedAt: number;
  /** start() returned → the activity started (history), the floor's own "decision". */
  toActivityMs: number;
}

const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: round(quantile(s, 0.5)), p95: round(quantile(s, 0.95)), min: round(s[0] ?? NaN), max: round(s[s.length - 1] ?? NaN) };
};
const round = (n: number) => Math.round(n * 10) / 10;

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 10);
  const sys = await startTestSystem({ config: { governor: BENCH_GOVERNOR } });
  const client = sys.temporal.client;
  const floorQueue = `${sys.config.temporal.taskQueue}-floor`;
  const floorWorker = await Worker.create({
    connection: sys.temporal.native,
    namespace: sys.config.temporal.namespace,
    taskQueue: floorQueue,
    workflowsPath: require.resolve('./decision-floor-workflow'),
    activities: { floorActivity: async () => 'ok' },
  });
  const floorRunning = floorWorker.run();
  const ingested: Array<{ at: number; alert: AlertInput }> = [];
  await sys.startSentinel({ onIngested: (alerts) => ingested.push(...alerts.map((alert) => ({ at: Date.now(), alert }))) });
  const floors: FloorRun[] = [];
  const decisions: DecisionRun[] = [];
  let floorSeq = 0;

  const floorOnce = async (record: FloorRun['when'] | null, into: FloorRun[] = floors) => {
    const t0 = performance.now();
    const handle = await client.workflow.start('floorWorkflow', { taskQueue: floorQueue, workflowId: `floor-${process.pid}-${floorSeq++}` });
    const startReturned = Date.now();
    await handle.result();
    const roundTripMs = performance.now() - t0;
    const events = (await handle.fetchHistory()).events ?? [];
    const act = activityTimes(events).get('floorActivity');
    if (record) into.push({ when: record, roundTripMs, toActivityMs: (act?.started ?? NaN) - startReturned, endedAt: Date.now() });
  };

  try {
    for (let i = 0; i < 5; i++) await floorOnce(null); // warm-up: connections, bundle, first tasks
    console.log(`bench:decision — ${runs} hang incidents on ${sys.service} and ${runs * 4} floor round trips, Temporal ${sys.temporal.address}`);
    for (let run = 1; run <= runs; run++) {
      await waitForHealthy(sys.basePort, 2);
      for (let i = 0; i < 2; i++) await floorOnce('healthy');
      const instance = run % 2;
      const previous = await latestRunId(client, sys.workflowId());
      const seen = ingested.length;
      const t0 = Date.now();
      await injectFault(sys.instanceUrl(instance), { fault: 'hang' });
      // The same floor under the same load: the hung instance spins a core from now until it is restarted,
      // and the sentinel needs two timed-out probes (seconds) to alert. A round trip that overlaps the
      // decision is not kept: it would slow the decision it is compared with.
      const faulted: FloorRun[] = [];
      for (let i = 0; i < 2; i++) await floorOnce('faulted', faulted);
      const accepted = await eventually(`the sentinel's alert about instance ${instance}`, async () =>
        ingested.slice(seen).find(({ alert: a }) => a.name === 'InstanceHealthTimeout' && a.status === 'firing' && a.instance === instance)?.at,
      );
      floors.push(...faulted.filter((f) => f.endedAt < accepted));
      const handle = await awaitIncidentRun(client, sys.workflowId(), previous, 60_000);
      const report = await result(handle);
      const events = (await handle.fetchHistory()).events ?? [];
      const times = activityTimes(events);
      const action = times.get(ACTION);
      const decisionMs = (action?.started ?? NaN) - accepted;
      const row: DecisionRun = {
        run,
        acceptedAt: accepted,
        detectMs: accepted - t0,
        decisionMs,
        ...decisionPhases(events, accepted, ACTION),
        outcome: report.outcome,
        timeline: timelineUntil(events, accepted, action?.started ?? Infinity),
      };
      decisions.push(row);
      console.log(
        `run ${run}: decision ${decisionMs} ms (detected in ${row.detectMs} ms) = to the first workflow task ${row.toFirstTaskMs} ms + deciding ${row.decidingMs} ms` +
          ` + dispatch ${row.dispatchMs} ms; activities before the action: ${row.activitiesBefore.join(', ') || 'none'}; ${report.outcome}, ${report.actions.map((a) => a.action).join(', ') || 'no action'}`,
      );
    }
  } finally {
    floorWorker.shutdown();
    await floorRunning.catch(() => undefined);
    await sys.stop();
  }

  const measured = decisions.filter((d) => Number.isFinite(d.decisionMs));
  const decision = stat(measured.map((d) => d.decisionMs));
  const floorOf = (when: FloorRun['when']) => floors.filter((f) => f.when === when);
  const floorRound = stat(floorOf('healthy').map((f) => f.roundTripMs));
  const floorFaulted = stat(floorOf('faulted').map((f) => f.roundTripMs));
  const floorToActivity = stat(floorOf('healthy').map((f) => f.toActivityMs));
  const phases = {
    toFirstTaskMs: stat(measured.map((d) => d.toFirstTaskMs)),
    decidingMs: stat(measured.map((d) => d.decidingMs)),
    dispatchMs: stat(measured.map((d) => d.dispatchMs)),
  };
  const ratio = decision.p50 / floorRound.p50;
  const ratioSameLoad = decision.p50 / floorFaulted.p50;
  console.log(`\ndecision latency (alert accepted → restart started), ${measured.length} runs: p50 ${decision.p50} ms, p95 ${decision.p95} ms`);
  console.log(`Temporal floor (no-op workflow + one activity, start → result):`);
  console.log(`  under the same load as the decisions (the hung instance spinning a core), ${floorOf('faulted').length} runs: p50 ${floorFaulted.p50} ms, p95 ${floorFaulted.p95} ms`);
  console.log(`  on the healthy system between incidents, ${floorOf('healthy').length} runs: p50 ${floorRound.p50} ms, p95 ${floorRound.p95} ms`);
  console.log(`ratio decision / floor (p50): ${ratioSameLoad.toFixed(2)}× against the floor under the same load (target ≤ 2×); ${ratio.toFixed(2)}× against the healthy floor`);
  console.log('where the decision goes (p50 / p95):');
  console.log(`  to the first workflow task  ${phases.toFirstTaskMs.p50} / ${phases.toFirstTaskMs.p95} ms`);
  console.log(`  deciding (first task → the task scheduling the action completed: lease beside evidence and classification) ${phases.decidingMs.p50} / ${phases.decidingMs.p95} ms`);
  console.log(`  dispatch of the action      ${phases.dispatchMs.p50} / ${phases.dispatchMs.p95} ms`);

  const out = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version },
    definition: {
      decision: "the sentinel's alert through Ingest.ingest() (workflow started) → ActivityTaskStarted of restartInstances in the incident history (same host clock)",
      floor: 'client.workflow.start → result of a workflow running one no-op activity, same server, same process, interleaved with the incidents: two while the system is healthy before each fault (healthy), two right after the fault is injected and before the alert, while the hung instance spins a core (faulted: the decision\'s own load)',
      ratio: 'decision p50 / faulted floor p50 (like for like); ratioHealthyP50 against the healthy floor',
      phases: 'from the history: accepted → first WorkflowTaskStarted; → WorkflowTaskCompleted of the task that scheduled the action (the decision: the governor\'s lease beside the evidence and its classification, local activities); → ActivityTaskStarted of the action',
    },
    runs: measured.length,
    decisionMs: decision,
    floorRoundTripMs: { sameLoad: floorFaulted, healthy: floorRound },
    floorStartToActivityMs: floorToActivity,
    ratioP50: Math.round(ratioSameLoad * 100) / 100,
    ratioHealthyP50: Math.round(ratio * 100) / 100,
    phases,
    settings: { diagnosis: sys.config.policy.diagnosis, governor: BENCH_GOVERNOR },
    decisions,
    floors,
  };
  await mkdir('reports', { recursive: true });
  await writeFile('reports/bench-decision.json', `${JSON.stringify(out, null, 2)}\n`);
  console.log('wrote reports/bench-decision.json');
}

runBench(main);
