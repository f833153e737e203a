// governorWorkflow: the one long-running workflow per task queue that bounds all automation across
// incidents — mode, maintenance, action budgets, one acting incident per service (leases), blast radius
// and the recurring-incident breaker. Its history records every operator change, every permit decision
// and every expiry; the `governorState` query shows the current state and the audit.
// Deterministic: handlers are one-liners into GovernorState, and time is the workflow clock.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  makeContinueAsNewFunc,
  patched,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ZodType } from 'zod';
import {
  configureSignal,
  GOVERNOR_SIGNALS,
  governorSignals,
  governorStateQuery,
  governorTaskQueue,
  permitReleaseSchema,
  permitRequestSchema,
  releasePermitUpdate,
  requestPermitUpdate,
  type GovernorInput,
  type ServiceLimits,
} from '../signals/governor';
import { GovernorState } from './governor-state';

/** The sandbox's Date is the workflow clock: the same value on every replay. */
function now(): number {
  return new Date().getTime();
}

export async function governorWorkflow(input: GovernorInput): Promise<void> {
  const state = new GovernorState(input, now(), workflowInfo().firstExecutionRunId.slice(0, 8));
  // The loop moves on only once every update of the task has completed, so the timer it re-arms is always the
  // task's last command, whether a message or the timer woke it. Before, the timer landed between a burst's
  // acceptances and completions in an order a replay does not reproduce: "Update machine does not handle this
  // event: TimerStarted", and the governor wedged (bench/governor-replay-repro.ts).
  const afterHandlers = patched('governor-wakes-after-handlers');
  listenTo(state);
  let shown = '';
  const timeToMove = () =>
    workflowInfo().continueAsNewSuggested ||
    (input.continueAsNewAfterEvents !== undefined && workflowInfo().historyLength >= input.continueAsNewAfterEvents);

  while (!timeToMove()) {
    if (afterHandlers) await condition(allHandlersFinished);
    state.tick(now());
    shown = show(state, shown);
    const seen = state.version;
    const wake = state.nextWakeAt(now());
    const changed = () => state.version !== seen || timeToMove();
    // Woken by any message, or when the next lease, maintenance, budget slot or window edge comes due.
    if (wake === null) await condition(changed);
    else await condition(changed, Math.max(1, wake - now()));
  }
  await condition(allHandlersFinished);
  // A governor started on the incidents' queue (before it had one of its own) moves to its own as it continues.
  const taskQueue = patched('governor-continues-on-its-own-queue') ? governorTaskQueue(workflowInfo().taskQueue) : undefined;
  await makeContinueAsNewFunc<typeof governorWorkflow>(taskQueue ? { taskQueue } : {})({ ...input, carried: state.snapshot() });
}

function listenTo(state: GovernorState): void {
  for (const name of GOVERNOR_SIGNALS) setHandler(governorSignals[name], (raw) => state.receive(name, raw, now()));
  setHandler(configureSignal, (raw) => state.configure(raw, now()));
  setHandler(requestPermitUpdate, (req) => state.requestPermit(permitRequestSchema.parse(req), now()), {
    validator: (req) => validate(permitRequestSchema, req, 'requestPermit'),
  });
  setHandler(releasePermitUpdate, (req) => state.releasePermit(permitReleaseSchema.parse(req), now()), {
    validator: (req) => validate(permitReleaseSchema, req, 'releasePermit'),
  });
  setHandler(governorStateQuery, () => state.view(now()));
}

/** A malformed permit call is a caller's bug: rejected before it enters the history, never retried. */
function validate(schema: ZodType, value: unknown, what: string): void {
  const parsed = schema.safeParse(value);
  if (parsed.success) return;
  const problems = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || 'payload'}: ${i.message}`).join('; ');
  throw ApplicationFailure.nonRetryable(`invalid ${what}: ${problems}`, 'InvalidRequestError');
}

/** What the Web UI shows beside the governor: set only when it changes. */
function show(state: GovernorState, shown: string): string {
  const v = state.view(now());
  const lines = [
    `mode **${v.mode.mode}** (since ${v.mode.since}, by ${v.mode.by})`,
    ...v.services.map((s) =>
      [
        `**${s.service}**: ${s.budget.used}/${s.budget.limit} actions this hour`,
        s.lease ? `lease ${s.lease.incidentId} (${s.lease.action ?? 'diagnosing'})` : '',
        s.maintenance ? `maintenance until ${s.maintenance.until}` : '',
        s.breaker.open ? 'breaker **open**' : '',
        runtimeLimitsText(s.limits),
      ]
        .filter(Boolean)
        .join(' · '),
    ),
  ];
  const text = lines.join('\n\n');
  if (text !== shown) setCurrentDetails(text);
  return text;
}

/** "runtime limits: actionsPerHour 2 (alice)"; empty when config rules. */
function runtimeLimitsText(l: ServiceLimits): string {
  const set = [
    ['actionsPerHour', l.actionsPerHour],
    ['maxInstanceShare', l.maxInstanceShare],
    ['breaker.maxRemediations', l.breaker.maxRemediations],
    ['breaker.windowMs', l.breaker.windowMs],
  ] as const;
  const runtime = set.filter(([, limit]) => limit.source === 'runtime').map(([name, limit]) => `${name} ${limit.value} (${limit.runtime?.by})`);
  return runtime.length ? `runtime limits: ${runtime.join(', ')}` : '';
}
