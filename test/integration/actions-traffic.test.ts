// The traffic actions against the real things: three demo-target instances under PM2 (their pm_ids mapped
// to HAProxy servers through PM2's NODE_APP_INSTANCE), balanced by a real HAProxy whose runtime API the
// activities drive, run in a Temporal activity context (MockActivityEnvironment). Each action: act →
// observe it in HAProxy's state and in where real requests go → re-run with the same key → not doubled →
// undo → observe restored. And the blast radius: a drain beyond the bound is refused, nothing changed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { drainTraffic, rebalanceWeights, rerouteTraffic, restoreWeights, undrainTraffic } from '../../activities/actions/traffic';
import type { ActivityDeps } from '../../activities/deps';
import { InvalidRequestError } from '../../activities/errors';
import { parseConfig } from '../../config/load';
import { demoApp } from '../../demo/ecosystem';
import { createLogger } from '../../observability/logger';
import { Pm2Client } from '../../pm2/client';
import { backendServers } from '../../probes/haproxy-stat';
import type { ActionOutcome, ActionRequest, UndoRecipe } from '../../signals/actions';
import { startHaproxy, type TestHaproxy } from '../helpers/haproxy';
import { eventually, freePortRange, waitForHealthy } from '../helpers/system';

const INSTANCES = 3;
const logger = createLogger('test');

let dir: string;
let pm2: Pm2Client;
let service: string;
let basePort: number;
let haproxy: TestHaproxy;
let ledgerDir: string;

function deps(traffic: Record<string, unknown> = {}, socket = haproxy): ActivityDeps {
  const config = parseConfig({
    pm2: { home: path.join(dir, 'pm2') },
    services: [
      {
        name: service,
        basePort,
        instances: INSTANCES,
        actions: { traffic: { haproxySocket: socket.socketPath, backend: socket.backend, stateDir: ledgerDir, ...traffic } },
      },
    ],
  });
  return { config, pm2, logger };
}

// Refusals are expected here; the mock environment would log each as a failed activity.
const quiet = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => quiet().run(fn, ...args);
const server = (i: number) => `${service}-${i}`;

async function pmIdOf(instance: number): Promise<number> {
  const p = (await pm2.listApp(service)).find((x) => x.instance === instance);
  assert.ok(p, `instance ${instance} of ${service} runs`);
  return p.pmId;
}

function request(key: string, pmIds: number[], maxOutOfService = 1): ActionRequest {
  return { service, incidentId: key.split('/')[0]!, idempotencyKey: key, pmIds, maxOutOfService };
}

/** server → [admin state, runtime weight], as HAProxy reports them. */
async function stateOf(h: TestHaproxy = haproxy): Promise<Record<string, [string, number]>> {
  return Object.fromEntries((await h.runtime.showServersState(h.backend)).map((r) => [r.server, [r.adminState, r.uweight]]));
}

/** Sends `n` real requests through the frontend and returns how many each server was picked for. */
async function picks(n = 30, h: TestHaproxy = haproxy): Promise<Record<string, number>> {
  const before = new Map(backendServers(await h.runtime.showStat(), h.backend).map((r) => [r.svname, r.lbtot ?? 0]));
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${h.frontendUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
    assert.equal(res.status, 200, 'the frontend keeps answering');
    await res.arrayBuffer();
  }
  return Object.fromEntries(backendServers(await h.runtime.showStat(), h.backend).map((r) => [r.svname, (r.lbtot ?? 0) - (before.get(r.svname) ?? 0)]));
}

async function allUp(h: TestHaproxy, names: string[]) {
  await eventually(`${names.join(', ')} UP in HAProxy`, async () => {
    const rows = backendServers(await h.runtime.showStat(), h.backend);
    return names.every((n) => rows.find((r) => r.svname === n)?.status === 'UP') || undefined;
  });
}

function undoRequest(key: string, undo: UndoRecipe) {
  return { service, incidentId: key.split('/')[0]!, idempotencyKey: `${key}/undo`, undo };
}

describe('traffic actions on a real HAProxy in front of real PM2 instances', () => {
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'zt-traffic-'));
    ledgerDir = path.join(dir, 'ledger');
    service = `localize-api-${Math.random().toString(36).slice(2, 8)}`;
    basePort = await freePortRange(INSTANCES);
    pm2 = await Pm2Client.connect({ home: path.join(dir, 'pm2') });
    await pm2.start(demoApp({ name: service, instances: INSTANCES, basePort, stateDir: path.join(dir, 'demo') }));
    await waitForHealthy(basePort, INSTANCES);
    haproxy = await startHaproxy({ servers: [0, 1, 2].map((i) => ({ name: server(i), port: basePort + i })), checkIntervalMs: 300 });
    await allUp(haproxy, [0, 1, 2].map(server));
  });

  after(async () => {
    await haproxy?.stop();
    await pm2?.killDaemon().catch(() => undefined);
    await pm2?.disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('drain takes the sick instance out of rotation once per key; undrain puts it back', async () => {
    const key = 'inc-drain/attempt-1/drain-traffic';
    const req = request(key, [await pmIdOf(1)]);
    const env = quiet();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const first: ActionOutcome = await env.run(drainTraffic, deps(), req);
    assert.ok(beats.length >= 2, `heartbeats while acting: ${JSON.stringify(beats)}`);
    assert.equal(first.performed, true);
    assert.match(first.summary, new RegExp(`^drained ${server(1)} \\(pm_id \\d+, instance 1\\) in backend app \\(1 of 3 servers out of service, bound 1\\)$`));
    assert.equal(first.undo.kind, 'undrain');
    assert.deepEqual({ ...first.undo, why: '' }, { kind: 'undrain', why: '', backend: 'app', servers: [server(1)], afterRecovery: { afterMs: 60_000 } });
    assert.deepEqual(await stateOf(), { [server(0)]: ['ready', 100], [server(1)]: ['drain', 100], [server(2)]: ['ready', 100] });
    const drained = await picks();
    assert.equal(drained[server(1)], 0, `a drained server takes no new requests: ${JSON.stringify(drained)}`);
    assert.ok(drained[server(0)]! > 0 && drained[server(2)]! > 0, `the others take them: ${JSON.stringify(drained)}`);

    // Re-run with the same key (a retried activity): nothing doubled, the same undo.
    const again = await run(drainTraffic, deps(), req);
    assert.equal(again.performed, false);
    assert.match(again.summary, /^already done for inc-drain\/attempt-1\/drain-traffic: drained /);
    assert.deepEqual(again.undo, first.undo);
    assert.deepEqual(await stateOf(), { [server(0)]: ['ready', 100], [server(1)]: ['drain', 100], [server(2)]: ['ready', 100] });

    const undone = await run(undrainTraffic, deps(), undoRequest(key, first.undo));
    assert.equal(undone.performed, true);
    assert.match(undone.summary, new RegExp(`^undrained ${server(1)} \\(now UP\\) in backend app$`));
    const undoneAgain = await run(undrainTraffic, deps(), undoRequest(key, first.undo));
    assert.equal(undoneAgain.performed, false);
    assert.deepEqual(await stateOf(), { [server(0)]: ['ready', 100], [server(1)]: ['ready', 100], [server(2)]: ['ready', 100] });
    const back = await picks();
    assert.ok(back[server(1)]! > 0, `back in rotation: ${JSON.stringify(back)}`);
  });

  test('blast radius: a drain beyond the bound is refused and nothing is changed', async () => {
    const key = 'inc-bound/attempt-1/drain-traffic';
    const first = await run(drainTraffic, deps(), request(key, [await pmIdOf(1)]));
    assert.equal(first.performed, true);

    // A second instance while one is drained: 2 of 3 out, above maxDrainShare 0.5 of 3 = 1.
    await assert.rejects(
      run(drainTraffic, deps(), request('inc-bound-2/attempt-1/drain-traffic', [await pmIdOf(2)], 2)),
      (err: Error) =>
        err instanceof InvalidRequestError &&
        new RegExp(`^drain of ${server(2)} in backend app refused: it would leave 2 of 3 server\\(s\\) out of service .*above the bound of 1 \\(maxDrainShare 0.5 of 3 server\\(s\\) = 1, maxOutOfService 2\\); nothing was changed$`).test(err.message),
    );
    assert.deepEqual(await stateOf(), { [server(0)]: ['ready', 100], [server(1)]: ['drain', 100], [server(2)]: ['ready', 100] });
    await run(undrainTraffic, deps(), undoRequest(key, first.undo));

    // Two at once with a generous share: the governor's maxOutOfService is the stricter bound.
    await assert.rejects(
      run(drainTraffic, deps({ maxDrainShare: 1 }), request('inc-bound-3/attempt-1/drain-traffic', [await pmIdOf(0), await pmIdOf(2)], 1)),
      (err: Error) => err instanceof InvalidRequestError && /2 of 3 server\(s\) out of service .*bound of 1 \(maxDrainShare 1 of 3 server\(s\) = 3, maxOutOfService 1\)/.test(err.message),
    );
    // A pm_id that is not an instance of the service.
    await assert.rejects(run(drainTraffic, deps(), request('inc-bound-4/attempt-1/drain-traffic', [9999])), (err: Error) => err instanceof InvalidRequestError && /pm_id 9999 is not an instance/.test(err.message));
    assert.deepEqual(await stateOf(), { [server(0)]: ['ready', 100], [server(1)]: ['ready', 100], [server(2)]: ['ready', 100] });
  });

  test('reroute weights the sick instance out so the healthy ones take its traffic; restore puts back the recorded weights', async () => {
    await haproxy.runtime.setWeight('app', server(1), 80);
    const key = 'inc-reroute/attempt-1/reroute-traffic';
    const req = request(key, [await pmIdOf(1)]);
    const first = await run(rerouteTraffic, deps(), req);
    assert.equal(first.performed, true);
    assert.equal(first.summary, `rerouted traffic in backend app away from ${server(1)} (weight 80 → 0) to ${server(0)}, ${server(2)} (1 of 3 servers out of service, bound 1)`);
    assert.deepEqual({ ...first.undo, why: '' }, { kind: 'restore-weights', why: '', backend: 'app', weights: { [server(1)]: 80 }, afterRecovery: { afterMs: 120_000 } });
    assert.deepEqual(await stateOf(), { [server(0)]: ['ready', 100], [server(1)]: ['ready', 0], [server(2)]: ['ready', 100] });
    const rerouted = await picks();
    assert.equal(rerouted[server(1)], 0, JSON.stringify(rerouted));

    const again = await run(rerouteTraffic, deps(), req);
    assert.equal(again.performed, false);
    assert.deepEqual(again.undo, first.undo);
    assert.deepEqual(await stateOf(), { [server(0)]: ['ready', 100], [server(1)]: ['ready', 0], [server(2)]: ['ready', 100] });

    const restored = await run(restoreWeights, deps(), undoRequest(key, first.undo));
    assert.equal(restored.performed, true);
    assert.equal(restored.summary, `restored backend app: ${server(1)} weight 0 → 80`);
    assert.equal((await run(restoreWeights, deps(), undoRequest(key, first.undo))).performed, false);
    assert.deepEqual(await stateOf(), { [server(0)]: ['ready', 100], [server(1)]: ['ready', 80], [server(2)]: ['ready', 100] });
    assert.ok((await picks())[server(1)]! > 0);
    await haproxy.runtime.setWeight('app', server(1), 100);

    // Without a fallback, a reroute with nowhere to go is refused.
    await assert.rejects(run(rerouteTraffic, deps(), request('inc-reroute-2/attempt-1/reroute-traffic', [])), (err: Error) => err instanceof InvalidRequestError && /no instance \(pm_id\) was named/.test(err.message));
  });

  test('reroute to a configured backup fallback: the fallback takes all the traffic; restore gives it back', async () => {
    const standby = http.createServer((_req, res) => res.end('standby'));
    const [standbyPort] = [await freePortRange(1)];
    await new Promise<void>((resolve) => standby.listen(standbyPort, '127.0.0.1', resolve));
    const solo = await startHaproxy({ backend: 'solo', servers: [{ name: server(0), port: basePort }, { name: 'standby', port: standbyPort!, backup: true }], checkIntervalMs: 300 });
    try {
      await allUp(solo, [server(0), 'standby']);
      const d = deps({ fallback: { server: 'standby' } }, solo);
      const key = 'inc-fallback/attempt-1/reroute-traffic';
      const req = request(key, [await pmIdOf(0)]);
      const before = await picks(10, solo);
      assert.equal(before.standby, 0, 'a backup idles while the primary serves');

      const first = await run(rerouteTraffic, d, req);
      assert.equal(first.performed, true);
      assert.equal(first.summary, `rerouted traffic in backend solo away from ${server(0)} (weight 100 → 0) to fallback standby (backup) (1 of 2 servers out of service, bound 1)`);
      const moved = await picks(10, solo);
      assert.deepEqual(moved, { [server(0)]: 0, standby: 10 });
      assert.equal((await run(rerouteTraffic, d, req)).performed, false);

      const restored = await run(restoreWeights, d, undoRequest(key, first.undo));
      assert.equal(restored.performed, true);
      assert.deepEqual(await picks(10, solo), { [server(0)]: 10, standby: 0 });

      // A fallback that is down is no place to send traffic: refused, nothing changed.
      await solo.runtime.setServerState('solo', 'standby', 'maint');
      await assert.rejects(run(rerouteTraffic, d, request('inc-fallback-2/attempt-1/reroute-traffic', [await pmIdOf(0)])), (err: Error) => err instanceof InvalidRequestError && /fallback standby is in maintenance/.test(err.message));
      assert.deepEqual(await stateOf(solo), { [server(0)]: ['ready', 100], standby: ['maint', 100] });
    } finally {
      await solo.stop();
      standby.closeAllConnections();
      await new Promise((resolve) => standby.close(resolve));
    }
  });

  test('rebalance resets runtime-skewed weights to the configured ones; restore puts the skew back', async () => {
    await haproxy.runtime.setWeight('app', server(0), 250);
    await haproxy.runtime.setWeight('app', server(2), 30);
    const key = 'inc-rebalance/attempt-1/rebalance-weights';
    const req = request(key, []);
    const first = await run(rebalanceWeights, deps(), req);
    assert.equal(first.performed, true);
    assert.equal(first.summary, `rebalanced backend app to its initial weights: ${server(0)} 250 → 100, ${server(2)} 30 → 100 (2 of 3 servers in rotation changed)`);
    assert.deepEqual({ ...first.undo, why: '' }, { kind: 'restore-weights', why: '', backend: 'app', weights: { [server(0)]: 250, [server(2)]: 30 } });
    assert.deepEqual(await stateOf(), { [server(0)]: ['ready', 100], [server(1)]: ['ready', 100], [server(2)]: ['ready', 100] });
    const even = await picks(30);
    assert.ok(Object.values(even).every((n) => n >= 8 && n <= 12), `even weights, even traffic: ${JSON.stringify(even)}`);

    const again = await run(rebalanceWeights, deps(), req);
    assert.equal(again.performed, false);
    assert.deepEqual(again.undo, first.undo);

    const restored = await run(restoreWeights, deps(), undoRequest(key, first.undo));
    assert.equal(restored.performed, true);
    assert.deepEqual(await stateOf(), { [server(0)]: ['ready', 250], [server(1)]: ['ready', 100], [server(2)]: ['ready', 30] });
    assert.equal((await run(restoreWeights, deps(), undoRequest(key, first.undo))).performed, false);

    // Nothing skewed: nothing to do, said so.
    await haproxy.runtime.setWeight('app', server(0), 100);
    await haproxy.runtime.setWeight('app', server(2), 100);
    const calm = await run(rebalanceWeights, deps(), request('inc-rebalance-2/attempt-1/rebalance-weights', []));
    assert.equal(calm.performed, false);
    assert.match(calm.summary, /already their initial ones/);
  });

  test('a service without an actions.traffic section is refused', async () => {
    const config = parseConfig({ pm2: { home: path.join(dir, 'pm2') }, services: [{ name: service, basePort, instances: INSTANCES }] });
    await assert.rejects(
      run(drainTraffic, { config, pm2, logger }, request('inc-none/attempt-1/drain-traffic', [await pmIdOf(1)])),
      (err: Error) => err instanceof InvalidRequestError && /has no actions.traffic section/.test(err.message),
    );
  });
});
