// Traffic actions through the HAProxy runtime API (config/actions/traffic.ts):
//   - drainTraffic: put the sick instances' servers in DRAIN (no new sessions, open ones finish), never more
//     of the backend out of service than the bound; undo `undrain` once the instance is verified healthy.
//   - rerouteTraffic: weight the sick instances' servers to 0 so the others, or the configured fallback (a
//     `backup` server, or one parked at weight 0 / in drain), take their traffic; undo `restore-weights`
//     puts back exactly the recorded weights and states once the primary is back.
//   - rebalanceWeights: reset runtime-skewed weights to the configured ones (`srv_iweight`, or their mean
//     with `rebalance.to: equal`); undo `restore-weights` on a human's revert.
//
// Each action plans against what HAProxy reports, refuses (InvalidRequestError, nothing changed) when a
// precondition or the bound fails, writes its plan to a ledger keyed by the idempotency key before acting
// and its outcome after: a re-run of a finished key returns the first outcome with performed=false and
// the same undo; a run that died half-way finishes the recorded plan (the `set` commands are absolute, so
// replaying them is harmless) instead of re-planning from a state it half-changed itself.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { serverNameOf, type TrafficActionConfig } from '../../config/actions/traffic';
import type { ServiceConfig } from '../../config/schema';
import { findService } from '../../config/services';
import { HaproxyCommandError, HaproxyRuntime } from '../../probes/haproxy';
import { backendServers, isDownStatus, isServingStatus } from '../../probes/haproxy-stat';
import type { AdminState } from '../../probes/haproxy-servers-state';
import type { ActionOutcome, ActionRequest, UndoOutcome, UndoRecipe, UndoRequest } from '../../signals/actions';
import { InvalidRequestError } from '../errors';
import type { ActivityDeps } from '../deps';

// ---- what HAProxy says about the backend ----

export interface ServerView {
  name: string;
  /** Declared `backup`: takes traffic only when no active server is usable. */
  backup: boolean;
  /** `show stat` status: UP, DOWN, DRAIN, MAINT, no check… */
  status: string;
  admin: AdminState;
  uweight: number;
  iweight: number;
}

/** An active server the balancer may send new sessions to. */
export function isServingServer(s: ServerView): boolean {
  return !s.backup && s.admin === 'ready' && s.uweight > 0 && isServingStatus(s.status);
}

async function readBackend(rt: HaproxyRuntime, backend: string): Promise<ServerView[]> {
  let state;
  try {
    state = await rt.showServersState(backend);
  } catch (err) {
    if (err instanceof HaproxyCommandError) throw new InvalidRequestError(`HAProxy at ${rt.socketPath} has no backend "${backend}": ${err.message}`);
    throw err;
  }
  const stat = new Map(backendServers(await rt.showStat(), backend).map((r) => [r.svname, r]));
  return state.map((s) => {
    const row = stat.get(s.server);
    return { name: s.server, backup: row?.bck === 1, status: row?.status ?? 'unknown', admin: s.adminState, uweight: s.uweight, iweight: s.iweight };
  });
}

function describeServer(s: ServerView): string {
  return `${s.name} ${s.status}${s.admin !== 'ready' && !s.status.startsWith(s.admin.toUpperCase()) ? ` (${s.admin})` : ''}`;
}

// ---- setup and instance → server mapping ----

interface Setup {
  service: ServiceConfig;
  cfg: TrafficActionConfig;
  rt: HaproxyRuntime;
  ledger: Ledger;
  ctx: Context;
}

function setup(deps: ActivityDeps, serviceName: string, what: string): Setup {
  const service = findService(deps.config, serviceName);
  const cfg = service.actions.traffic;
  if (!cfg) {
    throw new InvalidRequestError(`${what} for ${service.name} refused: the service has no actions.traffic section (HAProxy socket and backend), so traffic actions are not available for it`);
  }
  return { service, cfg, rt: new HaproxyRuntime(cfg.haproxySocket, cfg.timeoutMs), ledger: new Ledger(cfg.stateDir), ctx: Context.current() };
}

interface Target {
  pmId: number;
  instance: number;
  server: string;
}

/** The request's pm_ids (or, when it names none and `allWhenEmpty`, every instance) as servers of the backend. */
async function targetsOf(deps: ActivityDeps, s: Setup, pmIds: number[], view: ServerView[], what: string, allWhenEmpty: boolean): Promise<Target[]> {
  const processes = await deps.pm2.listApp(s.service.name);
  if (pmIds.length === 0 && !allWhenEmpty) throw new InvalidRequestError(`${what} of ${s.service.name} refused: no instance (pm_id) was named`);
  const ids = pmIds.length ? [...new Set(pmIds)] : processes.map((p) => p.pmId);
  const foreign = ids.filter((id) => !processes.some((p) => p.pmId === id));
  if (foreign.length || ids.length === 0) {
    throw new InvalidRequestError(`${what} of ${s.service.name} refused: pm_id ${foreign.join(',') || '(none running)'} is not an instance of ${s.service.name}`);
  }
  const targets = ids.map((pmId) => {
    const instance = processes.find((p) => p.pmId === pmId)!.instance;
    return { pmId, instance, server: serverNameOf(s.cfg, s.service.name, instance) };
  });
  const missing = targets.filter((t) => !view.some((v) => v.name === t.server));
  if (missing.length) {
    throw new InvalidRequestError(
      `${what} of ${s.service.name} refused: backend ${s.cfg.backend} has no server ${missing.map((t) => `${t.server} (instance ${t.instance}, pm_id ${t.pmId})`).join(', ')}; it has ${view.map((v) => v.name).join(', ') || 'no servers'} (check actions.traffic.serverName/servers)`,
    );
  }
  return targets;
}

interface Bound {
  limit: number;
  words: string;
}

/** The stricter of maxDrainShare of the capacity (rounded down, may be 0) and the governor's maxOutOfService. */
function boundFor(cfg: TrafficActionConfig, capacity: number, maxOutOfService: number): Bound {
  const byShare = Math.floor(cfg.maxDrainShare * capacity + 1e-9);
  const limit = Math.max(0, Math.min(byShare, maxOutOfService));
  return { limit, words: `maxDrainShare ${cfg.maxDrainShare} of ${capacity} server(s) = ${byShare}, maxOutOfService ${maxOutOfService}` };
}

// ---- the ledger: at most once per idempotency key ----

interface LedgerEntry {
  key: string;
  action: string;
  phase: 'intent' | 'done';
  at: string;
  plan: unknown;
  outcome?: ActionOutcome | UndoOutcome;
}

class Ledger {
  constructor(private readonly dir: string) {}

  private file(key: string): string {
    return path.resolve(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.json`);
  }

  async read(key: string, action: string): Promise<LedgerEntry | null> {
    let text: string;
    try {
      text = await readFile(this.file(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const entry = JSON.parse(text) as LedgerEntry;
    if (entry.key !== key) return null;
    if (entry.action !== action) throw new InvalidRequestError(`idempotency key ${key} was already used by ${entry.action}, not ${action}`);
    return entry;
  }

  async write(entry: Omit<LedgerEntry, 'at'>): Promise<void> {
    const file = this.file(entry.key);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ ...entry, at: new Date().toISOString() }, null, 2));
    await rename(tmp, file);
  }
}

type Planned<P, O> = { plan: P } | { nothing: O };

/** A PM2 listing or a slow HAProxy can outlast the heartbeat timeout; keep telling Temporal we are alive. */
async function whileHeartbeating<T>(ctx: Context, details: unknown, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => ctx.heartbeat(details), 2_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

async function once<P, O extends ActionOutcome | UndoOutcome>(
  s: Setup,
  key: string,
  action: string,
  plan: () => Promise<Planned<P, O>>,
  apply: (plan: P) => Promise<O>,
): Promise<O> {
  const prior = await s.ledger.read(key, action);
  if (prior?.phase === 'done' && prior.outcome) {
    const first = prior.outcome as O;
    return { ...first, performed: false, summary: `already done for ${key}: ${first.summary}` };
  }
  let p: P;
  if (prior?.phase === 'intent') {
    p = prior.plan as P;
  } else {
    const planned = await whileHeartbeating(s.ctx, { idempotencyKey: key, phase: 'planning' }, plan);
    if ('nothing' in planned) {
      await s.ledger.write({ key, action, phase: 'done', plan: null, outcome: planned.nothing });
      return planned.nothing;
    }
    p = planned.plan;
    await s.ledger.write({ key, action, phase: 'intent', plan: p });
  }
  s.ctx.heartbeat({ idempotencyKey: key, phase: 'acting' });
  const outcome = await whileHeartbeating(s.ctx, { idempotencyKey: key, phase: 'acting' }, () => apply(p));
  await s.ledger.write({ key, action, phase: 'done', plan: p, outcome });
  s.ctx.heartbeat({ idempotencyKey: key, phase: 'done' });
  return outcome;
}

const list = (names: string[]) => names.join(', ');
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

// ---- drain ----

interface DrainPlan {
  backend: string;
  servers: string[];
  labels: Record<string, string>;
  outAfter: number;
  capacity: number;
  limit: number;
  skipped: string[];
}

export async function drainTraffic(deps: ActivityDeps, req: ActionRequest): Promise<ActionOutcome> {
  const s = setup(deps, req.service, 'drain');
  const { cfg, rt } = s;
  return once<DrainPlan, ActionOutcome>(
    s,
    req.idempotencyKey,
    'drain-traffic',
    async () => {
      const view = await readBackend(rt, cfg.backend);
      const targets = await targetsOf(deps, s, req.pmIds, view, 'drain', false);
      const byName = new Map(view.map((v) => [v.name, v]));
      const active = view.filter((v) => !v.backup);
      const bound = boundFor(cfg, active.length, req.maxOutOfService);
      const toDrain = targets.filter((t) => byName.get(t.server)!.admin === 'ready');
      const skipped = targets.filter((t) => byName.get(t.server)!.admin !== 'ready').map((t) => `${t.server} already ${byName.get(t.server)!.admin}`);
      const outAfter = new Set([...active.filter((v) => !isServingServer(v)).map((v) => v.name), ...targets.map((t) => t.server)]);
      // Servers already down by their health checks count too: drained, they would stay out of rotation once
      // they recover, so draining them past the bound leaves the backend with nothing to come back to.
      if (toDrain.length > 0 && outAfter.size > bound.limit) {
        throw new InvalidRequestError(
          `drain of ${list(targets.map((t) => t.server))} in backend ${cfg.backend} refused: it would leave ${outAfter.size} of ${active.length} server(s) out of service (${list([...outAfter].map((n) => describeServer(byName.get(n)!)))}), above the bound of ${bound.limit} (${bound.words}); nothing was changed`,
        );
      }
      if (toDrain.length === 0) {
        return {
          nothing: {
            performed: false,
            summary: `nothing to drain in backend ${cfg.backend}: ${list(skipped)}`,
            undo: { kind: 'none', why: 'the servers were already out of rotation before this action (drained or in maintenance): putting them back is for whoever took them out' },
          },
        };
      }
      return {
        plan: {
          backend: cfg.backend,
          servers: toDrain.map((t) => t.server),
          labels: Object.fromEntries(toDrain.map((t) => [t.server, `pm_id ${t.pmId}, instance ${t.instance}`])),
          outAfter: outAfter.size,
          capacity: active.length,
          limit: bound.limit,
          skipped,
        },
      };
    },
    async (plan) => {
      for (const server of plan.servers) {
        await rt.setServerState(plan.backend, server, 'drain');
        s.ctx.heartbeat({ idempotencyKey: req.idempotencyKey, drained: server });
      }
      const after = new Map((await readBackend(rt, plan.backend)).map((v) => [v.name, v]));
      const notDrained = plan.servers.filter((n) => after.get(n)?.admin !== 'drain');
      if (notDrained.length) throw new Error(`HAProxy still reports ${list(notDrained)} as not draining after "set server … state drain"`);
      deps.logger.info({ service: s.service.name, key: req.idempotencyKey, backend: plan.backend, servers: plan.servers }, 'drained');
      const undo: UndoRecipe = {
        kind: 'undrain',
        why: `puts ${list(plan.servers)} back into rotation in backend ${plan.backend} once the instance has been verified healthy for ${seconds(cfg.undrainAfterMs)}`,
        backend: plan.backend,
        servers: plan.servers,
        afterRecovery: { afterMs: cfg.undrainAfterMs },
      };
      return {
        performed: true,
        summary:
          `drained ${list(plan.servers.map((n) => `${n} (${plan.labels[n]})`))} in backend ${plan.backend} ` +
          `(${plan.outAfter} of ${plan.capacity} servers out of service, bound ${plan.limit})${plan.skipped.length ? `; ${list(plan.skipped)}` : ''}`,
        undo,
      };
    },
  );
}

// ---- undrain ----

interface UndrainPlan {
  backend: string;
  servers: string[];
  notes: string[];
}

export async function undrainTraffic(deps: ActivityDeps, req: UndoRequest): Promise<UndoOutcome> {
  const s = setup(deps, req.service, 'undrain');
  const { cfg, rt } = s;
  const recipe = req.undo;
  if (recipe.kind !== 'undrain') throw new InvalidRequestError(`undrainTraffic cannot run an undo of kind ${recipe.kind}`);
  if (recipe.backend !== cfg.backend) throw new InvalidRequestError(`undrain refused: backend ${recipe.backend} is not ${s.service.name}'s configured backend ${cfg.backend}`);
  return once<UndrainPlan, UndoOutcome>(
    s,
    req.idempotencyKey,
    'undrain',
    async () => {
      const view = new Map((await readBackend(rt, recipe.backend)).map((v) => [v.name, v]));
      const notes: string[] = [];
      const servers: string[] = [];
      for (const name of recipe.servers) {
        const v = view.get(name);
        if (!v) notes.push(`${name} is no longer in backend ${recipe.backend}`);
        else if (v.admin === 'drain') servers.push(name);
        else if (v.admin === 'maint') notes.push(`${name} is in maintenance now (not our drain): left alone`);
        else notes.push(`${name} already ready`);
      }
      if (servers.length === 0) return { nothing: { performed: false, summary: `nothing to undrain in backend ${recipe.backend}: ${list(notes)}` } };
      return { plan: { backend: recipe.backend, servers, notes } };
    },
    async (plan) => {
      for (const server of plan.servers) {
        await rt.setServerState(plan.backend, server, 'ready');
        s.ctx.heartbeat({ idempotencyKey: req.idempotencyKey, undrained: server });
      }
      const after = new Map((await readBackend(rt, plan.backend)).map((v) => [v.name, v]));
      deps.logger.info({ service: s.service.name, key: req.idempotencyKey, backend: plan.backend, servers: plan.servers }, 'undrained');
      return {
        performed: true,
        summary: `undrained ${list(plan.servers.map((n) => `${n} (now ${after.get(n)?.status ?? 'unknown'})`))} in backend ${plan.backend}${plan.notes.length ? `; ${list(plan.notes)}` : ''}`,
      };
    },
  );
}

// ---- reroute ----

interface WeightChange {
  server: string;
  from: number;
  to: number;
}

interface StateChange {
  server: string;
  from: AdminState;
  to: AdminState;
}

interface WeightsPlan {
  backend: string;
  weights: WeightChange[];
  states: StateChange[];
  summary: string;
}

async function applyWeights(s: Setup, key: string, plan: WeightsPlan): Promise<void> {
  // Destinations first (a fallback made ready before the primaries are weighted out), so no moment has
  // fewer usable servers than before or after.
  for (const c of plan.states.filter((c) => c.to === 'ready')) {
    await s.rt.setServerState(plan.backend, c.server, c.to);
    s.ctx.heartbeat({ idempotencyKey: key, state: c });
  }
  const up = plan.weights.filter((c) => c.to > c.from);
  const down = plan.weights.filter((c) => c.to <= c.from);
  for (const c of [...up, ...down]) {
    await s.rt.setWeight(plan.backend, c.server, c.to);
    s.ctx.heartbeat({ idempotencyKey: key, weight: c });
  }
  for (const c of plan.states.filter((c) => c.to !== 'ready')) {
    await s.rt.setServerState(plan.backend, c.server, c.to);
    s.ctx.heartbeat({ idempotencyKey: key, state: c });
  }
  const after = new Map((await readBackend(s.rt, plan.backend)).map((v) => [v.name, v]));
  const wrong = [
    ...plan.weights.filter((c) => after.get(c.server)?.uweight !== c.to).map((c) => `${c.server} weight ${after.get(c.server)?.uweight} (wanted ${c.to})`),
    ...plan.states.filter((c) => after.get(c.server)?.admin !== c.to).map((c) => `${c.server} ${after.get(c.server)?.admin} (wanted ${c.to})`),
  ];
  if (wrong.length) throw new Error(`HAProxy did not take the change in backend ${plan.backend}: ${list(wrong)}`);
}

function restoreRecipe(plan: WeightsPlan, why: string, afterMs?: number): UndoRecipe {
  return {
    kind: 'restore-weights',
    why,
    backend: plan.backend,
    weights: Object.fromEntries(plan.weights.map((c) => [c.server, c.from])),
    ...(plan.states.length ? { states: Object.fromEntries(plan.states.map((c) => [c.server, c.from])) } : {}),
    ...(afterMs !== undefined ? { afterRecovery: { afterMs } } : {}),
  };
}

export async function rerouteTraffic(deps: ActivityDeps, req: ActionRequest): Promise<ActionOutcome> {
  const s = setup(deps, req.service, 'reroute');
  const { cfg, rt } = s;
  return once<WeightsPlan, ActionOutcome>(
    s,
    req.idempotencyKey,
    'reroute-traffic',
    async () => {
      const view = await readBackend(rt, cfg.backend);
      const byName = new Map(view.map((v) => [v.name, v]));
      // No pm_id named (an upstream failure of the whole service): every instance, which only a fallback can carry.
      const targets = await targetsOf(deps, s, req.pmIds, view, 'reroute', !!cfg.fallback);
      const from = new Set(targets.map((t) => t.server));
      const weights: WeightChange[] = [];
      const states: StateChange[] = [];
      let destination: string;
      let fallbackView: ServerView | undefined;

      if (cfg.fallback) {
        const fb = byName.get(cfg.fallback.server);
        if (!fb) throw new InvalidRequestError(`reroute of ${s.service.name} refused: the fallback server ${cfg.fallback.server} is not in backend ${cfg.backend} (it has ${list(view.map((v) => v.name))})`);
        if (from.has(fb.name)) throw new InvalidRequestError(`reroute of ${s.service.name} refused: the fallback ${fb.name} is itself one of the instances to reroute away from`);
        if (fb.admin === 'maint') throw new InvalidRequestError(`reroute of ${s.service.name} refused: the fallback ${fb.name} is in maintenance; nothing was changed`);
        if (isDownStatus(fb.status)) throw new InvalidRequestError(`reroute of ${s.service.name} refused: the fallback ${fb.name} is ${fb.status} by its health checks; nothing was changed`);
        if (fb.admin === 'drain') states.push({ server: fb.name, from: 'drain', to: 'ready' });
        if (fb.uweight === 0) {
          const w = cfg.fallback.weight ?? fb.iweight;
          if (w < 1) throw new InvalidRequestError(`reroute of ${s.service.name} refused: the fallback ${fb.name} is parked at weight 0 with initial weight 0; set actions.traffic.fallback.weight`);
          weights.push({ server: fb.name, from: 0, to: w });
        }
        fallbackView = fb;
      }
      const others = view.filter((v) => !from.has(v.name) && v.name !== fallbackView?.name && isServingServer(v)).map((v) => v.name);
      if (!fallbackView && others.length === 0) {
        throw new InvalidRequestError(
          `reroute of ${s.service.name} refused: no other server of backend ${cfg.backend} is serving (${list(view.map(describeServer))}) and no actions.traffic.fallback is configured; nothing was changed`,
        );
      }
      if (!fallbackView) destination = list(others);
      else if (!fallbackView.backup) destination = list([...others, `fallback ${fallbackView.name}`]);
      // HAProxy uses a backup server only once no active server is usable.
      else destination = others.length ? `${list(others)} (backup ${fallbackView.name} stays idle while they serve)` : `fallback ${fallbackView.name} (backup)`;

      // The bound: a healthy fallback declared `backup` adds one server of capacity; one parked among the active ones is counted there already.
      const active = view.filter((v) => !v.backup);
      const capacity = active.length + (fallbackView?.backup ? 1 : 0);
      const bound = boundFor(cfg, capacity, req.maxOutOfService);
      const outAfter = new Set([...active.filter((v) => !isServingServer(v) && v.name !== fallbackView?.name).map((v) => v.name), ...from]);
      const newlyOut = [...from].filter((n) => isServingServer(byName.get(n)!));
      if (newlyOut.length > 0 && outAfter.size > bound.limit) {
        throw new InvalidRequestError(
          `reroute away from ${list([...from])} in backend ${cfg.backend} refused: it would leave ${outAfter.size} of ${capacity} server(s) out of service, above the bound of ${bound.limit} (${bound.words}); nothing was changed`,
        );
      }
      for (const name of from) {
        const v = byName.get(name)!;
        if (v.uweight > 0) weights.push({ server: name, from: v.uweight, to: 0 });
      }
      if (weights.length === 0 && states.length === 0) {
        return {
          nothing: {
            performed: false,
            summary: `nothing to reroute in backend ${cfg.backend}: ${list([...from])} already at weight 0${fallbackView ? ` and ${fallbackView.name} ready` : ''}`,
            undo: { kind: 'none', why: 'the weights were already as a reroute would set them before this action' },
          },
        };
      }
      const moved = weights.filter((c) => c.to === 0);
      const summary =
        `rerouted traffic in backend ${cfg.backend} away from ${list(moved.map((c) => `${c.server} (weight ${c.from} → 0)`)) || list([...from])} to ${destination}` +
        `${weights.some((c) => c.to > 0) || states.length ? ` (${list([...states.map((c) => `${c.server} ${c.from} → ready`), ...weights.filter((c) => c.to > 0).map((c) => `${c.server} weight ${c.from} → ${c.to}`)])})` : ''}` +
        ` (${outAfter.size} of ${capacity} servers out of service, bound ${bound.limit})`;
      return { plan: { backend: cfg.backend, weights, states, summary } };
    },
    async (plan) => {
      await applyWeights(s, req.idempotencyKey, plan);
      deps.logger.info({ service: s.service.name, key: req.idempotencyKey, plan }, 'rerouted');
      return {
        performed: true,
        summary: plan.summary,
        undo: restoreRecipe(
          plan,
          `restores the weights${plan.states.length ? ' and states' : ''} recorded before the reroute (${list(plan.weights.map((c) => `${c.server} ${c.from}`))}) once the service has been verified healthy for ${seconds(cfg.restoreAfterMs)}`,
          cfg.restoreAfterMs,
        ),
      };
    },
  );
}

// ---- rebalance ----

export async function rebalanceWeights(deps: ActivityDeps, req: ActionRequest): Promise<ActionOutcome> {
  const s = setup(deps, req.service, 'rebalance');
  const { cfg, rt } = s;
  const { to, minWeight, maxWeight } = cfg.rebalance;
  const clamp = (w: number) => Math.min(maxWeight, Math.max(minWeight, Math.round(w)));
  return once<WeightsPlan, ActionOutcome>(
    s,
    req.idempotencyKey,
    'rebalance-weights',
    async () => {
      const view = await readBackend(rt, cfg.backend);
      // Only servers in rotation: a drained, parked (weight 0), backup or maintenance server was put there on purpose.
      const rotation = view.filter((v) => !v.backup && v.admin === 'ready' && v.uweight > 0 && v.iweight > 0);
      if (rotation.length < 2) {
        throw new InvalidRequestError(
          `rebalance of backend ${cfg.backend} refused: ${rotation.length} server(s) in rotation (${list(view.map((v) => `${v.name} ${v.status} weight ${v.uweight}`))}); there is nothing to balance between`,
        );
      }
      const equal = clamp(rotation.reduce((sum, v) => sum + v.iweight, 0) / rotation.length);
      const target = (v: ServerView) => (to === 'equal' ? equal : clamp(v.iweight));
      const weights = rotation.filter((v) => v.uweight !== target(v)).map((v) => ({ server: v.name, from: v.uweight, to: target(v) }));
      const now = list(rotation.map((v) => `${v.name} ${v.uweight}`));
      if (weights.length === 0) {
        return {
          nothing: {
            performed: false,
            summary: `weights in backend ${cfg.backend} are already ${to === 'equal' ? 'equal' : 'their initial ones'} (${now}): nothing to rebalance; the skew is not in the weights`,
            undo: { kind: 'none', why: 'no weight was changed' },
          },
        };
      }
      return {
        plan: {
          backend: cfg.backend,
          weights,
          states: [],
          summary: `rebalanced backend ${cfg.backend} to ${to === 'equal' ? `equal weights (${equal})` : 'its initial weights'}: ${list(weights.map((c) => `${c.server} ${c.from} → ${c.to}`))} (${weights.length} of ${rotation.length} servers in rotation changed)`,
        },
      };
    },
    async (plan) => {
      await applyWeights(s, req.idempotencyKey, plan);
      deps.logger.info({ service: s.service.name, key: req.idempotencyKey, plan }, 'rebalanced');
      return {
        performed: true,
        summary: plan.summary,
        undo: restoreRecipe(plan, `sets the weights back to what they were before the rebalance (${list(plan.weights.map((c) => `${c.server} ${c.from}`))}); the rebalance is the fix, so only on a human's revert`),
      };
    },
  );
}

// ---- restore weights (undo of reroute and rebalance) ----

export async function restoreWeights(deps: ActivityDeps, req: UndoRequest): Promise<UndoOutcome> {
  const s = setup(deps, req.service, 'restore weights');
  const { cfg, rt } = s;
  const recipe = req.undo;
  if (recipe.kind !== 'restore-weights') throw new InvalidRequestError(`restoreWeights cannot run an undo of kind ${recipe.kind}`);
  if (recipe.backend !== cfg.backend) throw new InvalidRequestError(`restore of weights refused: backend ${recipe.backend} is not ${s.service.name}'s configured backend ${cfg.backend}`);
  for (const [server, w] of Object.entries(recipe.weights)) {
    if (!Number.isInteger(w) || w < 0 || w > 256) throw new InvalidRequestError(`restore of weights refused: ${server} has weight ${w} in the recipe (0-256)`);
  }
  return once<WeightsPlan, UndoOutcome>(
    s,
    req.idempotencyKey,
    'restore-weights',
    async () => {
      const view = new Map((await readBackend(rt, recipe.backend)).map((v) => [v.name, v]));
      const gone = [...Object.keys(recipe.weights), ...Object.keys(recipe.states ?? {})].filter((n) => !view.has(n));
      const weights = Object.entries(recipe.weights)
        .filter(([n, w]) => view.has(n) && view.get(n)!.uweight !== w)
        .map(([n, w]) => ({ server: n, from: view.get(n)!.uweight, to: w }));
      const states = Object.entries(recipe.states ?? {})
        .filter(([n, st]) => view.has(n) && view.get(n)!.admin !== st)
        .map(([n, st]) => ({ server: n, from: view.get(n)!.admin, to: st }));
      const goneNote = gone.length ? `; ${list([...new Set(gone)])} no longer in backend ${recipe.backend}` : '';
      if (weights.length === 0 && states.length === 0) {
        return { nothing: { performed: false, summary: `weights in backend ${recipe.backend} already as recorded (${list(Object.entries(recipe.weights).map(([n, w]) => `${n} ${w}`))})${goneNote}` } };
      }
      return {
        plan: {
          backend: recipe.backend,
          weights,
          states,
          summary: `restored backend ${recipe.backend}: ${list([...weights.map((c) => `${c.server} weight ${c.from} → ${c.to}`), ...states.map((c) => `${c.server} ${c.from} → ${c.to}`)])}${goneNote}`,
        },
      };
    },
    async (plan) => {
      await applyWeights(s, req.idempotencyKey, plan);
      deps.logger.info({ service: s.service.name, key: req.idempotencyKey, plan }, 'weights restored');
      return { performed: true, summary: plan.summary };
    },
  );
}
