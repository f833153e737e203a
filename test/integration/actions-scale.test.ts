// Scale up, bounded (issue 5 item 3), against a real PM2 daemon of its own running the real demo target:
// the scaleUp activity adds an instance that PM2 really starts on the next port and that really answers its
// health check; re-running the same key (with the heartbeat, and after a lost heartbeat) adds nothing; a
// new key at maxInstances is refused naming the bound; the scaleDown undo removes exactly the added
// instances (the originals keep serving), and running it again does nothing. Fork and cluster mode.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { scaleDown, scaleUp } from '../../activities/actions/scale';
import type { ActivityDeps } from '../../activities/deps';
import { parseConfig } from '../../config/load';
import { demoApp, demoInstanceUrl } from '../../demo/ecosystem';
import { createLogger } from '../../observability/logger';
import { Pm2Client } from '../../pm2/client';
import type { ActionOutcome, ActionRequest, UndoOutcome, UndoRequest } from '../../signals/actions';
import { freePortRange, waitForHealthy } from '../helpers/system';

interface Target {
  dir: string;
  pm2: Pm2Client;
  deps: ActivityDeps;
  service: string;
  basePort: number;
}

/** A PM2 daemon of its own running `instances` demo instances, with room for `maxInstances` ports. */
async function startTarget(opts: { execMode: 'fork' | 'cluster'; instances: number; scale?: Record<string, unknown>; maxPorts: number }): Promise<Target> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-scale-'));
  const basePort = await freePortRange(opts.maxPorts);
  const service = `localize-api-${Math.random().toString(36).slice(2, 8)}`;
  const config = parseConfig({
    pm2: { home: path.join(dir, 'pm2') },
    services: [
      { name: service, basePort, instances: opts.instances, ...(opts.scale ? { actions: { scale: opts.scale } } : {}) },
      { name: 'not-scalable', basePort: basePort + 40, instances: 1 },
    ],
  });
  const pm2 = await Pm2Client.connect({ home: config.pm2.home! });
  await pm2.start(demoApp({ name: service, instances: opts.instances, basePort, stateDir: path.join(dir, 'demo'), execMode: opts.execMode }));
  await waitForHealthy(basePort, opts.instances);
  return { dir, pm2, deps: { config, pm2, logger: createLogger('test') }, service, basePort };
}

async function stopTarget(t: Target | undefined): Promise<void> {
  if (!t) return;
  await t.pm2.killDaemon().catch(() => undefined);
  await t.pm2.disconnect();
  await rm(t.dir, { recursive: true, force: true });
}

/** Runs scaleUp in an activity context; returns the outcome and the last heartbeat it sent. */
async function runScaleUp(t: Target, req: ActionRequest, info: Partial<Info> = {}): Promise<{ outcome: ActionOutcome; heartbeat: unknown }> {
  const env = new MockActivityEnvironment(info);
  let heartbeat: unknown;
  env.on('heartbeat', (d: unknown) => (heartbeat = d ?? heartbeat));
  const outcome = await env.run<[ActionRequest], ActionOutcome, (r: ActionRequest) => Promise<ActionOutcome>>((r) => scaleUp(t.deps, r), req);
  return { outcome, heartbeat };
}

function runScaleDown(t: Target, req: UndoRequest): Promise<UndoOutcome> {
  const env = new MockActivityEnvironment();
  return env.run<[UndoRequest], UndoOutcome, (r: UndoRequest) => Promise<UndoOutcome>>((r) => scaleDown(t.deps, r), req);
}

function request(t: Target, key: string): ActionRequest {
  return { service: t.service, incidentId: 'inc-scale', idempotencyKey: key, pmIds: [0], maxOutOfService: 1 };
}

async function answers(url: string): Promise<boolean> {
  return fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
    (r) => r.ok,
    () => false,
  );
}

describe('scale up, bounded, on real PM2 (fork mode)', () => {
  let t: Target;
  before(async () => {
    t = await startTarget({ execMode: 'fork', instances: 2, scale: { maxInstances: 3, cooldownMs: 60_000 }, maxPorts: 3 });
  });
  after(async () => {
    await stopTarget(t);
  });

  test('scale up → new instance online and healthy → same key adds nothing → refused at the bound → scale down → original count', async () => {
    const originals = await t.pm2.listApp(t.service);
    assert.deepEqual(originals.map((p) => p.instance), [0, 1]);
    assert.equal(await answers(demoInstanceUrl(t.basePort, 2)), false, 'nothing listens on the third port yet');

    const scheduledTimestampMs = Date.now();
    const key = 'inc-scale/attempt-1/scale-up';
    const first = await runScaleUp(t, request(t, key), { attempt: 1, scheduledTimestampMs });
    assert.equal(first.outcome.performed, true, first.outcome.summary);
    assert.deepEqual(first.outcome.undo, {
      kind: 'scale-down',
      why: first.outcome.undo.why,
      service: t.service,
      toInstances: 2,
      afterRecovery: { afterMs: 60_000 },
    });
    assert.match(first.outcome.summary, /from 2 to 3 instance\(s\) \(maximum 3\)/);
    const scaled = await t.pm2.listApp(t.service);
    assert.equal(scaled.length, 3);
    const added = scaled.find((p) => !originals.some((o) => o.pmId === p.pmId))!;
    assert.equal(added.instance, 2, 'PM2 gave the new instance the next NODE_APP_INSTANCE');
    assert.equal(added.status, 'online');
    assert.equal(await answers(demoInstanceUrl(t.basePort, 2)), true, 'the new instance serves on basePort + 2');
    assert.ok(originals.every((o) => scaled.some((p) => p.pmId === o.pmId && p.pid === o.pid)), 'the originals were left alone');

    // A retried attempt that has the first attempt's heartbeat: nothing more is added, the same undo returns
    // (a scheduled time after the scale-up, so only the heartbeat can tell).
    assert.deepEqual(first.heartbeat, { idempotencyKey: key, fromInstances: 2, target: 3, added: [added.pmId] });
    const retried = await runScaleUp(t, request(t, key), { attempt: 2, scheduledTimestampMs: Date.now() + 1_000, heartbeatDetails: first.heartbeat });
    assert.equal(retried.outcome.performed, false, retried.outcome.summary);
    assert.deepEqual(retried.outcome.undo, first.outcome.undo);
    assert.equal((await t.pm2.listApp(t.service)).length, 3, 'not doubled');

    // A retry whose heartbeat died with the worker: PM2's created_at after the scheduled time tells.
    const afterCrash = await runScaleUp(t, request(t, key), { attempt: 2, scheduledTimestampMs });
    assert.equal(afterCrash.outcome.performed, false, afterCrash.outcome.summary);
    assert.deepEqual(afterCrash.outcome.undo, first.outcome.undo);
    assert.equal((await t.pm2.listApp(t.service)).length, 3, 'not doubled after a lost heartbeat');

    // A new decision at the bound is refused, naming it, and changes nothing.
    await assert.rejects(
      runScaleUp(t, request(t, 'inc-scale/attempt-2/scale-up'), { attempt: 1, scheduledTimestampMs: Date.now() }),
      (err: Error) => err.name === 'InvalidRequestError' && /already runs 3 instance\(s\), the configured maximum is 3/.test(err.message),
    );
    assert.equal((await t.pm2.listApp(t.service)).length, 3);

    // The undo removes exactly the added instance; the originals keep their processes and ports.
    const undoReq: UndoRequest = { service: t.service, incidentId: 'inc-scale', idempotencyKey: `${key}/undo`, undo: first.outcome.undo };
    const down = await runScaleDown(t, undoReq);
    assert.equal(down.performed, true, down.summary);
    assert.match(down.summary, /from 3 to 2 instance\(s\): removed pm_id \d+ \(instance 2\)/);
    const restored = await t.pm2.listApp(t.service);
    assert.deepEqual(restored.map((p) => [p.pmId, p.pid]), originals.map((p) => [p.pmId, p.pid]));
    await waitForHealthy(t.basePort, 2, 5_000);
    assert.equal(await answers(demoInstanceUrl(t.basePort, 2)), false, 'the added instance is gone');

    const again = await runScaleDown(t, undoReq);
    assert.equal(again.performed, false, again.summary);
    assert.equal((await t.pm2.listApp(t.service)).length, 2, 'never below the recorded count');
  });

  test('refusals: a service without a scale section, an unknown service, a recipe of another kind', async () => {
    await assert.rejects(
      runScaleUp(t, { ...request(t, 'k'), service: 'not-scalable' }),
      (err: Error) => err.name === 'InvalidRequestError' && /scaling is not configured for it \(services\[\]\.actions\.scale\)/.test(err.message),
    );
    await assert.rejects(runScaleUp(t, { ...request(t, 'k'), service: 'nope' }), (err: Error) => err.name === 'UnknownServiceError');
    await assert.rejects(
      runScaleDown(t, { service: t.service, incidentId: 'i', idempotencyKey: 'k/undo', undo: { kind: 'none', why: 'x' } }),
      (err: Error) => err.name === 'InvalidRequestError',
    );
    await assert.rejects(
      runScaleDown(t, { service: t.service, incidentId: 'i', idempotencyKey: 'k/undo', undo: { kind: 'scale-down', why: 'x', service: 'other', toInstances: 1 } }),
      (err: Error) => err.name === 'InvalidRequestError' && /the recipe is for other/.test(err.message),
    );
    assert.equal((await t.pm2.listApp(t.service)).length, 2, 'nothing changed');
  });
});

describe('scale up, bounded, on real PM2 (cluster mode)', () => {
  let t: Target;
  before(async () => {
    t = await startTarget({ execMode: 'cluster', instances: 2, scale: { maxInstances: 3, step: 2, cooldownMs: 0 }, maxPorts: 3 });
  });
  after(async () => {
    await stopTarget(t);
  });

  test('a step of 2 is bounded by maxInstances 3; the added worker serves on its own port; the undo restores 2', async () => {
    const originals = await t.pm2.listApp(t.service);
    const { outcome } = await runScaleUp(t, request(t, 'inc-c/attempt-1/scale-up'), { attempt: 1, scheduledTimestampMs: Date.now() });
    assert.equal(outcome.performed, true, outcome.summary);
    const scaled = await t.pm2.listApp(t.service);
    assert.equal(scaled.length, 3, 'bounded by maxInstances, not 2 + 2');
    assert.ok(scaled.every((p) => p.execMode === 'cluster' && p.status === 'online'));
    assert.equal(await answers(demoInstanceUrl(t.basePort, 2)), true);
    assert.equal(outcome.undo.kind === 'scale-down' && outcome.undo.toInstances, 2);

    const down = await runScaleDown(t, { service: t.service, incidentId: 'inc-c', idempotencyKey: 'inc-c/attempt-1/scale-up/undo', undo: outcome.undo });
    assert.equal(down.performed, true, down.summary);
    const restored = await t.pm2.listApp(t.service);
    assert.deepEqual(restored.map((p) => p.pmId), originals.map((p) => p.pmId));
    await waitForHealthy(t.basePort, 2, 5_000);
  });
});
