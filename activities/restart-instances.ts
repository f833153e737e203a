// The approved action "PM2 restart, single app" (issue 5 item 1): zero-downtime reload in cluster mode
// when the app is online, restart otherwise — for one configured service only.
//
// - pm2-restart acts on the blamed instances one at a time: an instance that is online in cluster mode is
//   reloaded by pm_id (PM2 starts its replacement, waits for it to listen, then stops the old worker, so
//   its port keeps answering); any other instance (fork mode, stopped, errored, launching) is restarted.
// - pm2-reload is PM2's rolling reload of the whole app when every instance is online in cluster mode;
//   otherwise a whole-app reload would be a restart of every instance at once, so it falls back to the
//   per-instance rule above on the blamed instances only.
//
// - An instance PM2 is itself restarting because it keeps dying as it starts is not restarted in the middle
//   of that loop: the action waits until PM2 brings it up or gives up (pm2-retry-loop.ts).
//
// Idempotent: a retried attempt never restarts an instance twice for the same decision.
import { Context } from '@temporalio/activity';
import { findService } from '../config/services';
import type { UndoRecipe } from '../signals/incident';
import type { ActionOutcome, RestartRequest } from './types';
import { InvalidRequestError } from './errors';
import { waitOutPm2Retries } from './pm2-retry-loop';
import type { ActivityDeps } from './deps';

const NOTHING_TO_UNDO: UndoRecipe = {
  kind: 'none',
  why: 'a restart changes no code, configuration or capacity; the same release runs with the same settings',
};

interface Progress {
  idempotencyKey: string;
  done: number[];
}

/** A PM2 call can outlast the heartbeat timeout (a slow reload); keep telling Temporal we are alive. */
async function whileHeartbeating<T>(ctx: Context, work: Promise<T>, details?: Progress): Promise<T> {
  const timer = setInterval(() => ctx.heartbeat(details), 2_000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

export async function restartInstances({ config, pm2, logger }: ActivityDeps, req: RestartRequest): Promise<ActionOutcome> {
  const service = findService(config, req.service);
  const processes = await pm2.listApp(service.name);
  const owned = new Set(processes.map((p) => p.pmId));
  const foreign = req.pmIds.filter((id) => !owned.has(id));
  if (req.pmIds.length === 0 || foreign.length > 0) {
    throw new InvalidRequestError(
      `restart of ${service.name} refused: pm_id ${foreign.join(',') || '(none given)'} is not an instance of ${service.name}`,
    );
  }

  const ctx = Context.current();
  const previous = ctx.info.heartbeatDetails as Progress | undefined;
  const done = new Set(previous?.idempotencyKey === req.idempotencyKey ? previous.done : []);
  // After a worker crash the heartbeat may be lost; a process started after this action was first
  // scheduled has already been restarted by it (or by PM2), so restarting it again would double-act.
  const alreadyFresh = (startedAt: number) => ctx.info.attempt > 1 && startedAt >= ctx.info.scheduledTimestampMs;

  const reloadable = (p: { execMode: string; status: string }) => p.execMode === 'cluster' && p.status === 'online';

  if (req.reload && processes.every(reloadable)) {
    if (done.size > 0 || processes.every((p) => alreadyFresh(p.startedAt))) {
      return { performed: false, summary: `already reloaded ${service.name} for ${req.idempotencyKey}`, undo: NOTHING_TO_UNDO };
    }
    await whileHeartbeating(ctx, pm2.reload(service.name));
    ctx.heartbeat({ idempotencyKey: req.idempotencyKey, done: [...owned] } satisfies Progress);
    logger.info({ service: service.name, key: req.idempotencyKey }, 'reloaded');
    return { performed: true, summary: `reloaded every ${service.name} instance without downtime (rolling reload, cluster mode)`, undo: NOTHING_TO_UNDO };
  }

  const lines: string[] = [];
  if (req.reload) {
    const why = processes.filter((p) => !reloadable(p)).map((p) => `pm_id ${p.pmId} is ${p.status} in ${p.execMode} mode`);
    lines.push(`no rolling reload of ${service.name} (${why.join(', ')}): each blamed instance instead`);
  }
  for (const pmId of req.pmIds) {
    let before = processes.find((p) => p.pmId === pmId)!;
    if (done.has(pmId) || alreadyFresh(before.startedAt)) {
      lines.push(`pm_id ${pmId} already restarted for this attempt`);
      continue;
    }
    const progress: Progress = { idempotencyKey: req.idempotencyKey, done: [...done] };
    const look = async () => (await pm2.listApp(service.name)).find((p) => p.pmId === pmId);
    const loop = await waitOutPm2Retries(look, { alive: () => ctx.heartbeat(progress) });
    if (loop.kind !== 'not-retrying') {
      const seen = `${loop.restarts} more restart(s) by PM2 in ${(loop.waitedMs / 1000).toFixed(1)} s`;
      if (loop.kind === 'came-up') {
        lines.push(`pm_id ${pmId} was in PM2's restart loop and PM2's own retry brought it up (${seen}): not restarted`);
        continue;
      }
      lines.push(loop.kind === 'gave-up' ? `waited while PM2 retried pm_id ${pmId} until it gave up (${seen})` : `PM2 was still retrying pm_id ${pmId} after ${seen}`);
      before = (await look()) ?? before;
    }
    const reload = reloadable(before);
    await whileHeartbeating(ctx, reload ? pm2.reload(pmId) : pm2.restart(pmId), { idempotencyKey: req.idempotencyKey, done: [...done] });
    done.add(pmId);
    ctx.heartbeat({ idempotencyKey: req.idempotencyKey, done: [...done] } satisfies Progress);
    const after = (await pm2.listApp(service.name)).find((p) => p.pmId === pmId);
    const how = reload ? 'reloaded (cluster mode, without downtime)' : 'restarted';
    lines.push(`${how} pm_id ${pmId} (pid ${before.pid || 'none'} → ${after?.pid || 'none'}, was ${before.status})`);
  }
  logger.info({ service: service.name, key: req.idempotencyKey, lines }, 'restarted');
  const performed = lines.some((l) => l.startsWith('restarted') || l.startsWith('reloaded'));
  return { performed, summary: lines.join('; '), undo: NOTHING_TO_UNDO };
}
