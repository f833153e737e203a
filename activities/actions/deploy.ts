// The approved action "auto rollback, last deploy only": point `current` back at the release that ran
// before the last deploy, restart the service through it within the blast-radius bound, and record the
// rollback in the deploy registry. The undo rolls forward to the release it replaced.
//
// Never more than one release back: a rollback is refused unless `current` is the last deployed release
// and the registry's latest entry for the service is that deploy (or the roll-forward that restored it);
// after a rollback the latest entry is the rollback itself, so a second one (any incident, any key) is
// refused until a human deploys or rolls forward. The bad release stays on disk.
//
// Idempotency: the registry record (carrying the idempotency key) is written before the link moves, so a
// re-run finds its own record and only completes what is missing: the link, and restarting the instances
// that started before the link was switched (the link's mtime). A re-run after success does nothing.
import { Context } from '@temporalio/activity';
import { findService, instanceHealthUrl } from '../../config/services';
import type { ServiceConfig } from '../../config/schema';
import { isDeploy, type DeployRecord } from '../../deploys/registry';
import { readCurrent, releaseDir, releaseExists, switchCurrent } from '../../deploys/releases';
import { serviceDeploys, type ServiceDeploys } from '../../deploys/service';
import type { Pm2Client, Pm2Process } from '../../pm2/client';
import type { ActionOutcome, ActionRequest, UndoOutcome, UndoRecipe, UndoRequest } from '../../signals/actions';
import { InvalidRequestError } from '../errors';
import { sleep, type ActivityDeps } from '../deps';

type RollForward = Extract<UndoRecipe, { kind: 'roll-forward' }>;

interface Progress {
  idempotencyKey: string;
  restarted: number[];
}

/** Outside an activity (the CLI, plain scripts) there is no context to heartbeat to. */
function activityContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null;
  }
}

function deploysOf(service: ServiceConfig, what: string): ServiceDeploys {
  const deploys = serviceDeploys(service);
  if (!deploys) {
    throw new InvalidRequestError(
      `${what} of ${service.name} refused: the service has no actions.deploy section (appDir of its releases/ and current link) in the config`,
    );
  }
  return deploys;
}

function describeRecord(r: DeployRecord): string {
  const what = r.kind === 'rollback' ? `rollback of ${r.from ?? '?'} to ${r.version}` : r.kind === 'roll-forward' ? `roll-forward from ${r.from ?? '?'} to ${r.version}` : `deploy of ${r.version}`;
  return `${what} by ${r.by} at ${r.at}`;
}

function rollForwardRecipe(service: string, good: string, bad: string): RollForward {
  return {
    kind: 'roll-forward',
    why: `${service} was rolled back from release ${bad} to ${good}; rolling forward switches current back to ${bad} (still on disk) and restarts the service`,
    service,
    fromVersion: good,
    toVersion: bad,
  };
}

async function isHealthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

interface Rollout {
  restarted: number[];
  notReady: number[];
  /** Set when the rollout stopped before restarting every instance. */
  stoppedAt?: string;
}

/**
 * Restarts every instance of the service that started before `since` (the link switch), so it runs the
 * release `current` now points at. Cluster mode: PM2's reload (one worker at a time, no downtime). Fork
 * mode: batches of at most `maxOutOfService` instances, each batch online and healthy before the next; with
 * `stopWhenUnhealthy`, a batch that is not healthy within `readyTimeoutMs` stops the rollout (never more out
 * than the bound); without it (a human's roll-forward to a release known to be bad) each batch only has to be
 * restarted by PM2 before the next one goes.
 */
export async function rolloutCurrent(opts: {
  pm2: Pm2Client;
  service: ServiceConfig;
  since: number;
  maxOutOfService: number;
  readyTimeoutMs: number;
  key: string;
  done?: number[];
  stopWhenUnhealthy: boolean;
}): Promise<Rollout> {
  const { pm2, service, since } = opts;
  const ctx = activityContext();
  const done = new Set(opts.done ?? []);
  const beat = () => ctx?.heartbeat({ idempotencyKey: opts.key, restarted: [...done] } satisfies Progress);
  const timer = setInterval(beat, 2_000);
  try {
    const stale = (await pm2.listApp(service.name)).filter((p) => !done.has(p.pmId) && p.startedAt < since);
    if (stale.length === 0) return { restarted: [], notReady: [] };
    if (stale.every((p) => p.execMode === 'cluster')) {
      await pm2.reload(service.name);
      stale.forEach((p) => done.add(p.pmId));
      beat();
      return { restarted: stale.map((p) => p.pmId), notReady: [] };
    }
    const batchSize = Math.max(1, opts.maxOutOfService);
    const restarted: number[] = [];
    for (let i = 0; i < stale.length; i += batchSize) {
      const batch = stale.slice(i, i + batchSize);
      for (const p of batch) {
        await pm2.restart(p.pmId);
        done.add(p.pmId);
        restarted.push(p.pmId);
        beat();
      }
      const notReady = await waitReady(pm2, service, batch, opts.readyTimeoutMs, opts.stopWhenUnhealthy);
      if (notReady.length > 0 && opts.stopWhenUnhealthy) {
        const left = stale.slice(i + batchSize).map((p) => p.pmId);
        return {
          restarted,
          notReady,
          ...(left.length ? { stoppedAt: `stopped before pm_id ${left.join(',')}: pm_id ${notReady.join(',')} not healthy within ${opts.readyTimeoutMs} ms` } : {}),
        };
      }
    }
    return { restarted, notReady: [] };
  } finally {
    clearInterval(timer);
  }
}

async function waitReady(pm2: Pm2Client, service: ServiceConfig, batch: Pm2Process[], timeoutMs: number, healthy: boolean): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let waiting = batch;
  for (;;) {
    const now = await pm2.listApp(service.name);
    const checks = await Promise.all(
      waiting.map(async (p) => {
        const after = now.find((n) => n.pmId === p.pmId);
        const restarted = after !== undefined && after.startedAt > p.startedAt;
        const ready = healthy ? restarted && after.status === 'online' && (await isHealthy(instanceHealthUrl(service, after.instance))) : restarted;
        return ready ? null : p;
      }),
    );
    waiting = checks.filter((p): p is Pm2Process => p !== null);
    if (waiting.length === 0) return [];
    if (Date.now() > deadline) return waiting.map((p) => p.pmId);
    await sleep(250);
  }
}

function rolloutText(r: Rollout): string {
  if (r.restarted.length === 0) return 'every instance already runs it';
  const parts = [`restarted pm_id ${r.restarted.join(',')} through current`];
  if (r.notReady.length) parts.push(`pm_id ${r.notReady.join(',')} not healthy yet`);
  if (r.stoppedAt) parts.push(r.stoppedAt);
  return parts.join('; ');
}

/** The switch and restarts a recorded rollback or roll-forward still needs (none on a re-run after success). */
async function complete(
  { pm2 }: ActivityDeps,
  service: ServiceConfig,
  deploys: ServiceDeploys,
  record: DeployRecord,
  key: string,
  maxOutOfService: number,
  stopWhenUnhealthy: boolean,
): Promise<{ switched: boolean; rollout: Rollout }> {
  let current = await readCurrent(deploys.appDir);
  const switched = current?.version !== record.version;
  if (switched) current = await switchCurrent(deploys.appDir, record.version);
  const ctx = activityContext();
  const previous = ctx?.info.heartbeatDetails as Progress | undefined;
  const rollout = await rolloutCurrent({
    pm2,
    service,
    since: current!.switchedAt,
    maxOutOfService,
    readyTimeoutMs: deploys.settings.readyTimeoutMs,
    key,
    done: previous?.idempotencyKey === key ? previous.restarted : [],
    stopWhenUnhealthy,
  });
  return { switched, rollout };
}

export async function rollbackDeploy(deps: ActivityDeps, req: ActionRequest): Promise<ActionOutcome> {
  const service = findService(deps.config, req.service);
  const deploys = deploysOf(service, 'rollback');
  const refuse = (why: string) => new InvalidRequestError(`rollback of ${service.name} refused: ${why}`);
  const records = await deploys.registry.deploysOf(service.name);
  let mine = records.find((r) => r.kind === 'rollback' && r.key === req.idempotencyKey);
  let recorded = false;

  if (mine) {
    const latest = records.at(-1)!;
    const undo = rollForwardRecipe(service.name, mine.version, mine.from ?? '?');
    if (latest !== mine) {
      return { performed: false, summary: `already rolled back ${service.name} to ${mine.version} for ${req.idempotencyKey}; since then: ${describeRecord(latest)}`, undo };
    }
  } else {
    let lastDeployIdx = records.length - 1;
    while (lastDeployIdx >= 0 && !isDeploy(records[lastDeployIdx]!)) lastDeployIdx--;
    const lastDeploy = records[lastDeployIdx];
    if (!lastDeploy) throw refuse(`no deploy of it is recorded in ${deploys.registry.file}`);
    const latest = records.at(-1)!;
    if (latest.kind === 'rollback') {
      throw refuse(`its latest change is already a rollback (${describeRecord(latest)}); zero-touch goes back at most one release: deploy or roll forward by hand`);
    }
    const before = records[lastDeployIdx - 1];
    if (!before) throw refuse(`only one release was ever recorded for it (${lastDeploy.version}): there is nothing before the last deploy to go back to`);
    if (before.version === lastDeploy.version) throw refuse(`the release before the last deploy is the same version (${lastDeploy.version})`);
    const age = Date.now() - Date.parse(lastDeploy.at);
    if (age > deploys.settings.maxDeployAgeMs) {
      throw refuse(`the last deploy (${describeRecord(lastDeploy)}) is older than maxDeployAgeMs (${deploys.settings.maxDeployAgeMs} ms): not rolling back an old release automatically`);
    }
    const current = await readCurrent(deploys.appDir).catch((err: Error) => {
      throw refuse(err.message);
    });
    if (current?.version !== lastDeploy.version) {
      throw refuse(`current points at ${current?.version ?? 'nothing'}, not at the last deployed release ${lastDeploy.version}: a release zero-touch did not see deployed is never rolled back`);
    }
    if (!(await releaseExists(deploys.appDir, before.version))) {
      throw refuse(`the previous release ${before.version} is no longer on disk (${releaseDir(deploys.appDir, before.version)})`);
    }
    if ((await deps.pm2.listApp(service.name)).length === 0) throw refuse(`PM2 runs no instance of ${service.name}`);
    mine = await deploys.registry.recordDeploy({
      service: service.name,
      version: before.version,
      path: releaseDir(deploys.appDir, before.version),
      by: `zero-touch (${req.incidentId})`,
      kind: 'rollback',
      from: lastDeploy.version,
      key: req.idempotencyKey,
    });
    recorded = true;
  }

  const bad = mine.from!;
  const { switched, rollout } = await complete(deps, service, deploys, mine, req.idempotencyKey, req.maxOutOfService, true);
  const undo = rollForwardRecipe(service.name, mine.version, bad);
  const performed = recorded || switched || rollout.restarted.length > 0;
  const summary = performed
    ? `rolled ${service.name} back from release ${bad} to ${mine.version} (current → releases/${mine.version}); ${rolloutText(rollout)}; release ${bad} left on disk at ${releaseDir(deploys.appDir, bad)}`
    : `already rolled back ${service.name} to ${mine.version} for ${req.idempotencyKey}`;
  deps.logger.info({ service: service.name, key: req.idempotencyKey, from: bad, to: mine.version, restarted: rollout.restarted, performed }, 'rollback-deploy');
  return { performed, summary, undo };
}

export async function rollForwardDeploy(deps: ActivityDeps, req: UndoRequest): Promise<UndoOutcome> {
  const recipe = req.undo;
  if (recipe.kind !== 'roll-forward') throw new InvalidRequestError(`rollForwardDeploy cannot undo a ${recipe.kind} action`);
  if (recipe.service !== req.service) throw new InvalidRequestError(`roll-forward recipe is for ${recipe.service}, not ${req.service}`);
  const service = findService(deps.config, req.service);
  const deploys = deploysOf(service, 'roll-forward');
  const refuse = (why: string) => new InvalidRequestError(`roll-forward of ${service.name} to ${recipe.toVersion} refused: ${why}`);
  const records = await deploys.registry.deploysOf(service.name);
  let mine = records.find((r) => r.kind === 'roll-forward' && r.key === req.idempotencyKey);
  let recorded = false;

  if (mine) {
    const latest = records.at(-1)!;
    if (latest !== mine) {
      return { performed: false, summary: `already rolled ${service.name} forward to ${mine.version} for ${req.idempotencyKey}; since then: ${describeRecord(latest)}` };
    }
  } else {
    const latest = records.at(-1);
    // Only the rollback this recipe undoes may be undone: anything recorded since is someone else's change.
    if (!latest || latest.kind !== 'rollback' || latest.version !== recipe.fromVersion || latest.from !== recipe.toVersion) {
      throw refuse(
        `its latest change is ${latest ? describeRecord(latest) : 'nothing'}, not the rollback of ${recipe.toVersion} to ${recipe.fromVersion}: rolling forward now would undo a later change`,
      );
    }
    const current = await readCurrent(deploys.appDir).catch((err: Error) => {
      throw refuse(err.message);
    });
    if (current?.version !== recipe.fromVersion) throw refuse(`current points at ${current?.version ?? 'nothing'}, not at ${recipe.fromVersion}`);
    if (!(await releaseExists(deploys.appDir, recipe.toVersion))) {
      throw refuse(`release ${recipe.toVersion} is no longer on disk (${releaseDir(deploys.appDir, recipe.toVersion)})`);
    }
    mine = await deploys.registry.recordDeploy({
      service: service.name,
      version: recipe.toVersion,
      path: releaseDir(deploys.appDir, recipe.toVersion),
      by: `zero-touch (${req.incidentId}, undo)`,
      kind: 'roll-forward',
      from: recipe.fromVersion,
      key: req.idempotencyKey,
    });
    recorded = true;
  }

  // An undo runs on a human's revert; it restarts one instance at a time, the most conservative bound.
  const { switched, rollout } = await complete(deps, service, deploys, mine, req.idempotencyKey, 1, false);
  const performed = recorded || switched || rollout.restarted.length > 0;
  const summary = performed
    ? `rolled ${service.name} forward from release ${recipe.fromVersion} to ${recipe.toVersion} (current → releases/${recipe.toVersion}); ${rolloutText(rollout)}`
    : `already rolled ${service.name} forward to ${recipe.toVersion} for ${req.idempotencyKey}`;
  deps.logger.info({ service: service.name, key: req.idempotencyKey, to: recipe.toVersion, restarted: rollout.restarted, performed }, 'roll-forward-deploy');
  return { performed, summary };
}
