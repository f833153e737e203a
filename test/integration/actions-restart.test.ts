// PM2 restart of a single app (issue 5 item 1): zero-downtime reload in cluster mode when the app is
// online, restart otherwise. The restartInstances activity against a real PM2 daemon of its own running
// the real demo target, in cluster and in fork mode.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../activities/deps';
import { restartInstances } from '../../activities/restart-instances';
import type { ActionOutcome, RestartRequest } from '../../activities/types';
import { parseConfig } from '../../config/load';
import { demoApp, demoInstanceUrl } from '../../demo/ecosystem';
import { createLogger } from '../../observability/logger';
import { probeHealth } from '../../probes/http-health';
import { Pm2Client } from '../../pm2/client';
import { eventually, freePortRange, waitForHealthy } from '../helpers/system';

interface Target {
  dir: string;
  pm2: Pm2Client;
  deps: ActivityDeps;
  service: string;
  basePort: number;
}

async function startTarget(execMode: 'fork' | 'cluster'): Promise<Target> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-restart-'));
  const basePort = await freePortRange(2);
  const service = `localize-api-${Math.random().toString(36).slice(2, 8)}`;
  const config = parseConfig({ pm2: { home: path.join(dir, 'pm2') }, services: [{ name: service, basePort, instances: 2 }] });
  const pm2 = await Pm2Client.connect({ home: config.pm2.home! });
  await pm2.start(demoApp({ name: service, instances: 2, basePort, stateDir: path.join(dir, 'demo'), execMode }));
  await waitForHealthy(basePort, 2);
  return { dir, pm2, deps: { config, pm2, logger: createLogger('test') }, service, basePort };
}

async function stopTarget(t: Target | undefined): Promise<void> {
  if (!t) return;
  await t.pm2.killDaemon().catch(() => undefined);
  await t.pm2.disconnect();
  await rm(t.dir, { recursive: true, force: true });
}

async function run(t: Target, req: Omit<RestartRequest, 'service'>, info: Partial<Info> = {}): Promise<{ outcome: ActionOutcome; heartbeat: unknown }> {
  const env = new MockActivityEnvironment(info);
  let heartbeat: unknown;
  env.on('heartbeat', (d: unknown) => (heartbeat = d ?? heartbeat));
  const full: RestartRequest = { service: t.service, ...req };
  const outcome = await env.run<[RestartRequest], ActionOutcome, (r: RestartRequest) => Promise<ActionOutcome>>((r) => restartInstances(t.deps, r), full);
  return { outcome, heartbeat };
}

/**
 * Polls one instance's health URL until stopped; counts the answers that were not 200, with why. The
 * timeout is generous: on a loaded 2-core CI machine a healthy answer can take a second; a reload with
 * downtime shows as refused or reset connections, which fail at once. Each poll is the sentinel's own probe
 * on a fresh connection: a pooled keep-alive socket that the old worker closes while idle would fail a
 * request that never reached it (seen once in CI as "other side closed"), which is no downtime of the port.
 */
function watchAvailability(url: string): { stop(): Promise<{ ok: number; failed: number; why: string[] }> } {
  let running = true;
  const counts = { ok: 0, failed: 0, why: [] as string[] };
  const loop = (async () => {
    while (running) {
      const probe = await probeHealth(`${url}/healthz`, 3_000);
      const ok = probe.outcome === 'ok';
      if (!ok) counts.why.push(`${probe.outcome} ${probe.httpStatus ?? probe.error ?? ''}`.trim());
      counts[ok ? 'ok' : 'failed']++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return counts;
    },
  };
}

async function pidOf(t: Target, pmId: number): Promise<number | undefined> {
  return (await t.pm2.listApp(t.service)).find((p) => p.pmId === pmId)?.pid;
}

describe('PM2 restart/reload semantics on real PM2 (cluster mode)', () => {
  let t: Target;
  before(async () => {
    t = await startTarget('cluster');
  });
  after(async () => {
    await stopTarget(t);
  });

  test('pm2-restart of an online cluster instance is a reload by pm_id: its port never stops answering; a re-run does not repeat it', async () => {
    const before = await t.pm2.listApp(t.service);
    const watch = watchAvailability(demoInstanceUrl(t.basePort, 1));
    const scheduledTimestampMs = Date.now();
    const first = await run(t, { pmIds: [1], idempotencyKey: 'inc-r/attempt-1/pm2-restart', reload: false }, { attempt: 1, scheduledTimestampMs });
    await new Promise((r) => setTimeout(r, 300));
    const seen = await watch.stop();
    assert.equal(first.outcome.performed, true, first.outcome.summary);
    assert.match(first.outcome.summary, /^reloaded \(cluster mode, without downtime\) pm_id 1/);
    assert.equal(first.outcome.undo.kind, 'none');
    assert.notEqual(await pidOf(t, 1), before.find((p) => p.pmId === 1)!.pid, 'pm_id 1 runs in a new worker');
    assert.equal(await pidOf(t, 0), before.find((p) => p.pmId === 0)!.pid, 'pm_id 0 was left alone');
    assert.equal(seen.failed, 0, `instance 1 kept answering during its reload (${seen.ok} answers; failures: ${seen.why.join(', ')})`);
    assert.ok(seen.ok > 5);

    const pid = await pidOf(t, 1);
    const again = await run(t, { pmIds: [1], idempotencyKey: 'inc-r/attempt-1/pm2-restart', reload: false }, { attempt: 2, scheduledTimestampMs, heartbeatDetails: first.heartbeat });
    assert.equal(again.outcome.performed, false, again.outcome.summary);
    assert.equal(await pidOf(t, 1), pid, 'not reloaded twice');
  });

  test('pm2-reload with every instance online: rolling reload of the whole app', async () => {
    const before = await t.pm2.listApp(t.service);
    const { outcome } = await run(t, { pmIds: [0], idempotencyKey: 'inc-r/attempt-2/pm2-reload', reload: true }, { attempt: 1, scheduledTimestampMs: Date.now() });
    assert.equal(outcome.performed, true, outcome.summary);
    assert.match(outcome.summary, /reloaded every .* instance without downtime \(rolling reload, cluster mode\)/);
    const after = await t.pm2.listApp(t.service);
    assert.ok(after.every((p) => !before.some((b) => b.pid === p.pid)), 'every worker was replaced');
    await waitForHealthy(t.basePort, 2, 5_000);
  });

  test('pm2-reload with an instance not online: no rolling reload; the stopped one is restarted, the others are left alone', async () => {
    const api = (t.pm2 as unknown as { api: { stop(id: number, cb: (err: unknown) => void): void } }).api;
    await new Promise<void>((resolve, reject) => api.stop(1, (err) => (err ? reject(err) : resolve())));
    await eventually('pm_id 1 stopped', async () => ((await t.pm2.listApp(t.service)).find((p) => p.pmId === 1)?.status === 'stopped' ? true : undefined), 10_000);
    const pid0 = await pidOf(t, 0);
    const { outcome } = await run(t, { pmIds: [1], idempotencyKey: 'inc-r/attempt-3/pm2-reload', reload: true }, { attempt: 1, scheduledTimestampMs: Date.now() });
    assert.equal(outcome.performed, true, outcome.summary);
    assert.match(outcome.summary, /no rolling reload of .* \(pm_id 1 is stopped in cluster mode\): each blamed instance instead; restarted pm_id 1/);
    assert.equal(await pidOf(t, 0), pid0, 'the online instance was not touched');
    await waitForHealthy(t.basePort, 2, 10_000);
  });
});

describe('PM2 restart/reload semantics on real PM2 (fork mode)', () => {
  let t: Target;
  before(async () => {
    t = await startTarget('fork');
  });
  after(async () => {
    await stopTarget(t);
  });

  test('pm2-reload of a fork-mode app restarts only the blamed instance, never the whole app at once', async () => {
    const before = await t.pm2.listApp(t.service);
    const { outcome } = await run(t, { pmIds: [1], idempotencyKey: 'inc-f/attempt-1/pm2-reload', reload: true }, { attempt: 1, scheduledTimestampMs: Date.now() });
    assert.equal(outcome.performed, true, outcome.summary);
    assert.match(outcome.summary, /no rolling reload .*fork mode.*: each blamed instance instead; restarted pm_id 1/);
    assert.notEqual(await pidOf(t, 1), before.find((p) => p.pmId === 1)!.pid);
    assert.equal(await pidOf(t, 0), before.find((p) => p.pmId === 0)!.pid, 'pm_id 0 kept serving');
    await waitForHealthy(t.basePort, 2, 10_000);
  });

  test('pm2-restart in fork mode restarts; refused for a pm_id of another app', async () => {
    const pid = await pidOf(t, 0);
    const { outcome } = await run(t, { pmIds: [0], idempotencyKey: 'inc-f/attempt-2/pm2-restart', reload: false }, { attempt: 1, scheduledTimestampMs: Date.now() });
    assert.match(outcome.summary, /^restarted pm_id 0/);
    assert.notEqual(await pidOf(t, 0), pid);
    await assert.rejects(run(t, { pmIds: [7], idempotencyKey: 'k', reload: false }), (err: Error) => err.name === 'InvalidRequestError');
    await waitForHealthy(t.basePort, 2, 10_000);
  });
});
