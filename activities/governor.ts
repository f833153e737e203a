// The incident workflow's way to the governor (a workflow cannot call another workflow's update): ask
// for a permit before acting, release it after verifying, read the governor's state. Each call reaches
// the governor of this worker's task queue through the Worker's own client and starts it if it is not
// running.
import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { formatZodError } from '../config/load';
import {
  governorStateQuery,
  permitReleaseSchema,
  permitRequestSchema,
  releasePermitUpdate,
  requestPermitUpdate,
  type GovernorView,
  type LeaseAnswer,
  type LeaseRequest,
  type PermitRelease,
  type PermitReleaseResult,
  type PermitRequest,
  type PermitVerdict,
} from '../signals/governor';
import { withGovernor } from '../signals/governor-client';
import type { ActivityDeps } from './deps';
import { InvalidRequestError } from './errors';

function parsed<T>(result: { success: true; data: T } | { success: false; error: import('zod').ZodError }, what: string): T {
  if (!result.success) throw new InvalidRequestError(`invalid ${what}: ${formatZodError(result.error)}`);
  return result.data;
}

/**
 * The Temporal server limits in-flight updates per workflow (10 by default): under a burst of incidents the
 * governor's updates are turned away or aborted. That is load, not a rejection: retried with backoff.
 */
const SERVER_BUSY = /limit on number of concurrent in-flight updates|update was aborted|ResourceExhausted|RESOURCE_EXHAUSTED/i;

/** Retryable: the governor's workflow was too busy to take the update now. */
export class GovernorBusyError extends Error {
  override name = 'GovernorBusyError';
}

/**
 * How a failed governor call is retried: the server being busy is retryable (GovernorBusyError); the
 * governor refusing the call itself (not a verdict) is a caller's bug, terminal (InvalidRequestError).
 */
export function governorCallError(what: string, err: unknown): unknown {
  const text = err instanceof Error ? `${err.message} ${(err.cause as Error | undefined)?.message ?? ''}` : String(err);
  if (SERVER_BUSY.test(text)) return new GovernorBusyError(`${what}: the governor is busy (${text.trim()}); retrying`);
  if (err instanceof WorkflowUpdateFailedError) return new InvalidRequestError(`${what} refused by the governor: ${err.cause?.message ?? err.message}`);
  return err;
}

async function terminalOnRejection<T>(what: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw governorCallError(what, err);
  }
}

/**
 * This process's calls to the governor still waiting for an answer. A lease is asked from inside an
 * incident's workflow task (a local activity), which must not wait in a line: past this many, it is not asked.
 */
let callsInFlight = 0;
export const LEASE_ONLY_BELOW_CALLS_IN_FLIGHT = 4;

async function counted<T>(call: () => Promise<T>): Promise<T> {
  callsInFlight++;
  try {
    return await call();
  } finally {
    callsInFlight--;
  }
}

/**
 * Asks the governor whether this incident may run `action` on `service` now. A retried activity sends the
 * same request id (derived from this activity execution unless the caller gave one), so it is granted once.
 */
export async function requestActionPermit({ config, logger }: ActivityDeps, req: PermitRequest): Promise<PermitVerdict> {
  const ctx = Context.current();
  const { workflowExecution, activityId } = ctx.info;
  const request = parsed(permitRequestSchema.safeParse(req), 'permit request');
  const requestId = request.requestId ?? `${workflowExecution?.workflowId ?? request.incidentWorkflowId}/${workflowExecution?.runId ?? ''}/${activityId}`;
  const verdict = await counted(() =>
    withGovernor(ctx.client, config, (handle) =>
      terminalOnRejection('requestPermit', handle.executeUpdate(requestPermitUpdate, { args: [{ ...request, requestId }], updateId: `permit:${requestId}` })),
    ),
  );
  logger.info({ service: request.service, incidentId: request.incidentId, action: request.action ?? null, lease: request.lease ?? false, verdict }, 'permit');
  return verdict;
}

/**
 * A lease for an incident that is still diagnosing (every bound but the blast radius, which the incident
 * applies once it has chosen its action), asked beside the evidence so that the decision does not wait
 * for a permit afterwards. Not asked while this process already waits on the governor: the incident then
 * asks for a permit in line, as an ordinary activity.
 */
export async function requestActionLease(deps: ActivityDeps, req: LeaseRequest): Promise<LeaseAnswer> {
  if (callsInFlight >= LEASE_ONLY_BELOW_CALLS_IN_FLIGHT) {
    return { verdict: 'not-asked', reason: `this worker has ${callsInFlight} calls to the governor waiting; the permit is asked in line instead` };
  }
  return requestActionPermit(deps, { ...req, lease: true, takesOutOfService: 0 });
}

/** Hands the permit back with what came of it; releasing twice is harmless. */
export async function releaseActionPermit({ config, logger }: ActivityDeps, req: PermitRelease): Promise<PermitReleaseResult> {
  const ctx = Context.current();
  const release = parsed(permitReleaseSchema.safeParse(req), 'permit release');
  const result = await counted(() =>
    withGovernor(ctx.client, config, (handle) =>
      terminalOnRejection('releasePermit', handle.executeUpdate(releasePermitUpdate, { args: [release], updateId: `release:${release.permitId}` })),
    ),
  );
  logger.info({ permitId: release.permitId, outcome: release.outcome, result }, 'permit released');
  return result;
}

/** The governor's state as `zt governor` shows it: mode, maintenance, budgets, leases, breakers, audit. */
export async function readGovernor({ config }: ActivityDeps): Promise<GovernorView> {
  return counted(() => withGovernor(Context.current().client, config, (handle) => handle.query(governorStateQuery)));
}
