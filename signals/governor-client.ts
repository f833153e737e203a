// How anything outside the workflow sandbox reaches the governor: workers at start, the permit
// activities, the CLI and tests. The governor is started on demand and idempotently (USE_EXISTING), so
// whoever needs it first starts it and nobody can start a second one.
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Config } from '../config/schema';
import { effectiveServices } from '../config/services';
import type { governorWorkflow } from '../workflows/governor';
import {
  configureSignal,
  GOVERNOR_WORKFLOW_TYPE,
  governorSignals,
  governorTaskQueue,
  governorWorkflowId,
  type GovernorInput,
  type GovernorSettings,
  type GovernorSignalName,
} from './governor';

export function governorSettingsFrom(config: Config): GovernorSettings {
  return {
    ...config.governor,
    operators: config.operators,
    knownServices: effectiveServices(config).map((s) => s.name),
  };
}

export function governorInputFrom(config: Config, extra: Partial<GovernorInput> = {}): GovernorInput {
  return { mode: config.policy.mode, settings: governorSettingsFrom(config), ...extra };
}

export function governorHandle(client: Client, config: Config): WorkflowHandle<typeof governorWorkflow> {
  return client.workflow.getHandle<typeof governorWorkflow>(governorWorkflowId(config.temporal.taskQueue));
}

const summaryOf = (taskQueue: string) => `Governor of task queue ${taskQueue}: mode, maintenance, budgets, leases, breakers`;

/** Starts the governor of this config's task queue unless it runs already; either way returns its handle. */
export async function startGovernor(client: Client, config: Config, extra: Partial<GovernorInput> = {}): Promise<WorkflowHandle<typeof governorWorkflow>> {
  const taskQueue = config.temporal.taskQueue;
  return client.workflow.start<typeof governorWorkflow>(GOVERNOR_WORKFLOW_TYPE, {
    workflowId: governorWorkflowId(taskQueue),
    taskQueue: governorTaskQueue(taskQueue),
    args: [governorInputFrom(config, extra)],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: summaryOf(taskQueue),
  });
}

/** An operator's signal, delivered whether or not the governor runs yet (signalWithStart): it is never lost. */
export async function signalGovernor(client: Client, config: Config, signal: GovernorSignalName, payload: unknown): Promise<WorkflowHandle<typeof governorWorkflow>> {
  const taskQueue = config.temporal.taskQueue;
  return client.workflow.signalWithStart<typeof governorWorkflow, [unknown]>(GOVERNOR_WORKFLOW_TYPE, {
    workflowId: governorWorkflowId(taskQueue),
    taskQueue: governorTaskQueue(taskQueue),
    args: [governorInputFrom(config)],
    signal: governorSignals[signal],
    signalArgs: [payload],
    staticSummary: summaryOf(taskQueue),
  });
}

/**
 * What a worker does at start: make sure the governor runs and hand it this worker's config, so a changed
 * config reaches a governor that was started earlier (it records the change, or nothing if none).
 */
export async function ensureGovernor(client: Client, config: Config, by: string): Promise<WorkflowHandle<typeof governorWorkflow>> {
  const handle = await startGovernor(client, config);
  await handle.signal(configureSignal, { by, settings: governorSettingsFrom(config) });
  return handle;
}

/** Runs `call` against the governor; when none runs (never started, or ended), starts it and calls once more. */
export async function withGovernor<T>(client: Client, config: Config, call: (handle: WorkflowHandle<typeof governorWorkflow>) => Promise<T>): Promise<T> {
  try {
    return await call(governorHandle(client, config));
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    await startGovernor(client, config);
    return call(governorHandle(client, config));
  }
}
