// The approved action "scale up, bounded": add `step` instances to a configured service through PM2's
// scale, never beyond `actions.scale.maxInstances`, and wait until every added instance is online and
// answers its health check. The recorded undo (`scale-down`, run by the workflow after `cooldownMs` of
// verified health, or on a human's revert) returns the service to the instance count it had before,
// never below it.
//
// Idempotent by key: the count before, the target and the added pm_ids go into the heartbeat details
// before and after PM2 is asked, so a retried attempt completes the same target instead of adding more;
// if the heartbeat was lost with a crashed worker, processes PM2 created after the action was first
// scheduled are counted as this action's own (PM2 keeps created_at across restarts).
//
// Added instances get the next free NODE_APP_INSTANCE (PM2 7, fork and cluster mode alike), so they listen
// on basePort + n like the others. Scaling down deletes the added instances by pm_id, highest
// NODE_APP_INSTANCE first: PM2's own `scale` down would delete the lowest pm_ids, the original instances.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { findService, instanceHealthUrl } from '../../config/services';
import type { ServiceConfig } from '../../config/schema';
import type { ScaleActionConfig } from '../../config/actions/scale';
import type { Pm2Client, Pm2Process } from '../../pm2/client';
import type { ActionOutcome, ActionRequest, UndoOutcome, UndoRecipe, UndoRequest } from '../../signals/actions';
import { InvalidRequestError } from '../errors';
import { sleep, type ActivityDeps } from '../deps';

/** What a (possibly retried) scale-up of one idempotency key has done so far. */
interface ScaleProgress {
  idempotencyKey: string;
  fromInstances: number;
  target: number;
  /** pm_ids PM2 added; absent until the scale call returned. */
  added?: number[];
}

const HEARTBEAT_EVERY_MS = 2_000;
const PROBE_TIMEOUT_MS = 2_000;

function scaleConfig(service: ServiceConfig, what: string): ScaleActionConfig {
  const scale = service.actions.scale;
  if (!scale) {
    throw new InvalidRequestError(`${what} of ${service.name} refused: scaling is not configured for it (services[].actions.scale)`);
  }
  return scale;
}

/** Keeps Temporal told we are alive while a PM2 call or a wait runs longer than the heartbeat timeout. */
async function whileHeartbeating<T>(ctx: Context, work: Promise<T>, details?: ScaleProgress): Promise<T> {
  const timer = setInterval(() => ctx.heartbeat(details), HEARTBEAT_EVERY_MS);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

function scaleDownRecipe(service: ServiceConfig, scale: ScaleActionConfig, fromInstances: number): UndoRecipe {
  return {
    kind: 'scale-down',
    why: `remove the added ${service.name} instances again, back to ${fromInstances}, once it has been healthy for ${Math.round(scale.cooldownMs / 1000)} s`,
    service: service.name,
    toInstances: fromInstances,
    afterRecovery: { afterMs: scale.cooldownMs },
  };
}

async function healthy(service: ServiceConfig, instance: number): Promise<boolean> {
  try {
    const res = await fetch(instanceHealthUrl(service, instance), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** Waits until every added pm_id is online in PM2 and answers its health URL; returns what is still not ready. */
async function waitReady(pm2: Pm2Client, service: ServiceConfig, added: number[], timeoutMs: number): Promise<{ ready: Pm2Process[]; notReady: string[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const procs = (await pm2.listApp(service.name)).filter((p) => added.includes(p.pmId));
    const notReady: string[] = [];
    for (const id of added) {
      const p = procs.find((q) => q.pmId === id);
      if (!p) notReady.push(`pm_id ${id} is gone`);
      else if (p.status !== 'online') notReady.push(`pm_id ${id} is ${p.status}`);
      else if (!(await healthy(service, p.instance))) notReady.push(`pm_id ${id} does not answer ${instanceHealthUrl(service, p.instance)}`);
    }
    if (notReady.length === 0 || Date.now() >= deadline) return { ready: procs, notReady };
    await sleep(250);
  }
}

/** The instances to remove to get back to `toInstances`: the highest NODE_APP_INSTANCE (the added ones) first. */
function surplus(processes: Pm2Process[], toInstances: number): Pm2Process[] {
  return [...processes].sort((a, b) => b.instance - a.instance || b.pmId - a.pmId).slice(0, Math.max(0, processes.length - toInstances));
}

export async function scaleUp({ config, pm2, logger }: ActivityDeps, req: ActionRequest): Promise<ActionOutcome> {
  const service = findService(config, req.service);
  const scale = scaleConfig(service, 'scale-up');
  const ctx = Context.current();
  const processes = await pm2.listApp(service.name);
  if (processes.length === 0) {
    throw new InvalidRequestError(`scale-up of ${service.name} refused: PM2 runs no instance of it to copy`);
  }

  // Has this key already scaled? The heartbeat says so exactly; after a lost heartbeat, processes PM2
  // created since the action was first scheduled are this action's own.
  const previous = ctx.info.heartbeatDetails as ScaleProgress | undefined;
  let progress: ScaleProgress | undefined = previous?.idempotencyKey === req.idempotencyKey ? previous : undefined;
  if (!progress && ctx.info.attempt > 1) {
    const fresh = processes.filter((p) => p.createdAt !== undefined && p.createdAt >= ctx.info.scheduledTimestampMs);
    if (fresh.length > 0) {
      const fromInstances = processes.length - fresh.length;
      progress = {
        idempotencyKey: req.idempotencyKey,
        fromInstances,
        target: Math.min(scale.maxInstances, fromInstances + scale.step),
        added: fresh.map((p) => p.pmId),
      };
    }
  }
  const again = progress !== undefined;

  if (!progress) {
    if (processes.length >= scale.maxInstances) {
      throw new InvalidRequestError(
        `scale-up of ${service.name} refused: it already runs ${processes.length} instance(s), the configured maximum is ${scale.maxInstances} (services[].actions.scale.maxInstances)`,
      );
    }
    progress = {
      idempotencyKey: req.idempotencyKey,
      fromInstances: processes.length,
      target: Math.min(scale.maxInstances, processes.length + scale.step),
    };
  }
  ctx.heartbeat(progress);

  // A retry whose first attempt died inside PM2's scale completes the same target, never a new one.
  const before = new Set(processes.map((p) => p.pmId));
  let scaledNow = false;
  if (processes.length < progress.target) {
    await whileHeartbeating(ctx, pm2.scale(service.name, progress.target), progress);
    scaledNow = true;
  }
  const after = await pm2.listApp(service.name);
  let added = [...new Set([...(progress.added ?? []), ...after.filter((p) => !before.has(p.pmId)).map((p) => p.pmId)])].filter((id) =>
    after.some((p) => p.pmId === id),
  );
  // A retry after a crash inside PM2's scale does not know which pm_ids were added: the highest instances are.
  if (added.length === 0 && again) added = surplus(after, progress.fromInstances).map((p) => p.pmId);
  progress = { ...progress, added };
  ctx.heartbeat(progress);

  const { ready, notReady } = await whileHeartbeating(ctx, waitReady(pm2, service, added, scale.readyTimeoutMs), progress);
  if (notReady.length > 0) {
    // Nothing half-applied: instances that never became healthy are removed again before failing.
    for (const id of added) await whileHeartbeating(ctx, pm2.delete(id), progress).catch(() => undefined);
    logger.warn({ service: service.name, key: req.idempotencyKey, notReady }, 'scale-up undone: added instances not ready');
    throw ApplicationFailure.nonRetryable(
      `scale-up of ${service.name} to ${progress.target} undone: the added instance(s) were not online and healthy within ${scale.readyTimeoutMs} ms (${notReady.join('; ')})`,
      'ScaleUpNotReadyError',
    );
  }

  const undo = scaleDownRecipe(service, scale, progress.fromInstances);
  const which = ready
    .sort((a, b) => a.instance - b.instance)
    .map((p) => `pm_id ${p.pmId} (instance ${p.instance}, ${instanceHealthUrl(service, p.instance)})`)
    .join(', ');
  const performed = scaledNow || !again;
  const summary = performed
    ? `scaled ${service.name} from ${progress.fromInstances} to ${after.length} instance(s) (maximum ${scale.maxInstances}); ${which || 'no new instance'} online and healthy; back to ${progress.fromInstances} after ${Math.round(scale.cooldownMs / 1000)} s healthy`
    : `already scaled ${service.name} from ${progress.fromInstances} to ${after.length} instance(s) for ${req.idempotencyKey}; ${which || 'no new instance'} online and healthy`;
  logger.info({ service: service.name, key: req.idempotencyKey, from: progress.fromInstances, to: after.length, added }, 'scaled up');
  return { performed, summary, undo };
}

export async function scaleDown({ config, pm2, logger }: ActivityDeps, req: UndoRequest): Promise<UndoOutcome> {
  const undo = req.undo;
  if (undo.kind !== 'scale-down') {
    throw new InvalidRequestError(`scale-down of ${req.service} refused: the undo is a ${undo.kind}, not a scale-down`);
  }
  if (undo.service !== req.service) {
    throw new InvalidRequestError(`scale-down of ${req.service} refused: the recipe is for ${undo.service}`);
  }
  if (!Number.isInteger(undo.toInstances) || undo.toInstances < 1) {
    throw new InvalidRequestError(`scale-down of ${req.service} refused: ${undo.toInstances} is not an instance count to scale to`);
  }
  const service = findService(config, req.service);
  const ctx = Context.current();

  // State-based and so idempotent: only the surplus over the recorded count is removed, never more.
  const processes = await pm2.listApp(service.name);
  const remove = surplus(processes, undo.toInstances);
  if (remove.length === 0) {
    return { performed: false, summary: `${service.name} already runs ${processes.length} instance(s), not more than ${undo.toInstances}: nothing to remove` };
  }
  const removed: string[] = [];
  for (const p of remove) {
    // Re-check before each delete: a concurrent retry may already have removed some.
    const now = await pm2.listApp(service.name);
    if (now.length <= undo.toInstances) break;
    if (!now.some((q) => q.pmId === p.pmId)) continue;
    await whileHeartbeating(ctx, pm2.delete(p.pmId));
    ctx.heartbeat();
    removed.push(`pm_id ${p.pmId} (instance ${p.instance})`);
  }
  const left = (await pm2.listApp(service.name)).length;
  logger.info({ service: service.name, key: req.idempotencyKey, removed, left }, 'scaled down');
  if (removed.length === 0) {
    return { performed: false, summary: `${service.name} already back to ${left} instance(s)` };
  }
  return { performed: true, summary: `scaled ${service.name} down from ${processes.length} to ${left} instance(s): removed ${removed.join(', ')}` };
}
