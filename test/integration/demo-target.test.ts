// The demo target under real PM2: each fault must produce the PM2 state and HTTP symptoms that zero-touch's
// detectors and signatures are written against. One PM2 daemon in a temporary PM2_HOME serves the whole file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pm2Client, type Pm2Process } from '../../pm2/client';
import { demoApp, demoInstanceUrl, DEMO_APP_NAME } from '../../demo/ecosystem';
import { clearFaults, clearPersistentFaults, injectFault, listFaults, persistentFaultFile, setPersistentFault } from '../../demo/faults';
import { MockActivityEnvironment } from '@temporalio/testing';
import { collectEvidence } from '../../activities/collect-evidence';
import type { ActivityDeps } from '../../activities/deps';
import { parseConfig } from '../../config/load';
import { createLogger } from '../../observability/logger';
import { classify } from '../../policy/classify';
import { loadCatalog } from '../../policy/catalog/load';
import type { Evidence } from '../../policy/types';
import { eventually, freePortRange } from '../helpers/system';

const INSTANCES = 2;
const RELEASE = 'it-release-1';

let tmpDir = '';
let stateDir = '';
let basePort = 0;
let pm2: Pm2Client | undefined;
// Every pid seen, so after() can still clean up if the daemon will not answer killDaemon.
const seenPids = new Set<number>();

type Probe = { status: number; body: any; ms: number } | { status: 'timeout' | 'refused'; ms: number };

async function probe(instance: number, route = '/healthz', init: RequestInit = {}, timeoutMs = 1_000): Promise<Probe> {
  const startedAt = performance.now();
  try {
    const response = await fetch(new URL(route, demoInstanceUrl(basePort, instance)), {
      ...init,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // /metrics is text
    }
    return { status: response.status, body, ms: performance.now() - startedAt };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return { status: timedOut ? 'timeout' : 'refused', ms: performance.now() - startedAt };
  }
}

async function processOf(instance: number): Promise<Pm2Process> {
  const procs = await pm2!.listApp(DEMO_APP_NAME);
  for (const p of procs) if (p.pid) seenPids.add(p.pid);
  const proc = procs.find((p) => p.instance === instance);
  assert.ok(proc, `PM2 lists no ${DEMO_APP_NAME} process for instance ${instance}`);
  return proc;
}

/** minUptimeSeconds guards against catching a crash-looping process in its short life between restarts. */
async function waitHealthy(instance: number, minUptimeSeconds = 0): Promise<{ proc: Pm2Process; health: any }> {
  return eventually(`instance ${instance} online and healthy for ${minUptimeSeconds} s`, async () => {
    const proc = await processOf(instance);
    const health = await probe(instance);
    const healthy = proc.status === 'online' && health.status === 200 && health.body.pid === proc.pid;
    return healthy && health.body.uptimeSeconds >= minUptimeSeconds ? { proc, health: health.body } : undefined;
  });
}

before(async () => {
  tmpDir = await mkdtemp(path.join(os.tmpdir(), 'zt-demo-'));
  stateDir = path.join(tmpDir, 'state');
  basePort = await freePortRange(INSTANCES);
  pm2 = await Pm2Client.connect({ home: path.join(tmpDir, 'pm2') });
  await pm2.start(demoApp({ basePort, stateDir, instances: INSTANCES, release: RELEASE }));
  for (let i = 0; i < INSTANCES; i += 1) await waitHealthy(i);
});

after(async () => {
  try {
    await pm2?.killDaemon();
  } catch {
    await forceKill();
  } finally {
    await pm2?.disconnect();
    await rm(tmpDir, { recursive: true, force: true });
  }
});

async function forceKill(): Promise<void> {
  const daemonPid = Number(await readFile(path.join(tmpDir, 'pm2', 'pm2.pid'), 'utf8').catch(() => ''));
  for (const pid of [...seenPids, daemonPid]) {
    try {
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

test('runs two instances under PM2, each healthy on its own port', async () => {
  const procs = await pm2!.listApp(DEMO_APP_NAME);
  assert.deepEqual(procs.map((p) => p.instance).sort(), [0, 1]);
  assert.ok(procs.every((p) => p.status === 'online' && p.execMode === 'fork'));
  for (const proc of procs) {
    const health = await probe(proc.instance);
    assert.equal(health.status, 200);
    assert.deepEqual(
      { ...(health as { body: any }).body, uptimeSeconds: 0 },
      { status: 'ok', instance: proc.instance, pid: proc.pid, release: RELEASE, uptimeSeconds: 0 },
    );
  }
  assert.notEqual(procs[0]!.pid, procs[1]!.pid);
});

test('/metrics counts requests by route template', async () => {
  assert.equal((await probe(0, '/api/videos')).status, 200);
  assert.equal((await probe(0, '/api/videos/v-1002')).status, 200);
  assert.equal((await probe(0, '/api/videos/nope')).status, 404);
  const localize = await probe(0, '/api/localize', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ videoId: 'v-1001', targetLanguage: 'fr' }),
  });
  assert.equal(localize.status, 200);
  const metrics = await probe(0, '/metrics');
  assert.equal(metrics.status, 200);
  const text = String((metrics as { body: unknown }).body);
  assert.match(text, /^http_requests_total\{route="\/api\/videos",method="GET",status="200"\} [1-9]/m);
  assert.match(text, /^http_requests_total\{route="\/api\/videos\/:id",method="GET",status="404"\} 1$/m);
  assert.match(text, /^http_requests_total\{route="\/api\/localize",method="POST",status="200"\} 1$/m);
  assert.match(text, /^http_request_duration_seconds_bucket\{le="0\.5",route="\/api\/videos"\} [1-9]/m);
  assert.match(text, /^process_resident_memory_bytes \d+/m);
});

test('unhealthy makes /healthz answer 503 on that instance only', async () => {
  await injectFault(demoInstanceUrl(basePort, 0), { fault: 'unhealthy' });
  const sick = await probe(0);
  assert.equal(sick.status, 503);
  assert.equal((sick as { body: any }).body.status, 'unhealthy');
  assert.equal((await probe(1)).status, 200);
  assert.deepEqual((await listFaults(demoInstanceUrl(basePort, 0))).faults.map((f) => f.fault), ['unhealthy']);
  assert.deepEqual((await clearFaults(demoInstanceUrl(basePort, 0))).cleared, ['unhealthy']);
  assert.equal((await probe(0)).status, 200);
});

test('errors at rate 1 fails every /api request with 500 while health stays 200', async () => {
  await injectFault(demoInstanceUrl(basePort, 1), { fault: 'errors', rate: 1 });
  for (let i = 0; i < 5; i += 1) assert.equal((await probe(1, '/api/videos')).status, 500);
  assert.equal((await probe(1)).status, 200);
  assert.equal((await probe(0, '/api/videos')).status, 200);
  await clearFaults(demoInstanceUrl(basePort, 1));
  assert.equal((await probe(1, '/api/videos')).status, 200);
});

test('slow adds latency to /api routes but not to /healthz', async () => {
  await injectFault(demoInstanceUrl(basePort, 0), { fault: 'slow', ms: 400 });
  const api = await probe(0, '/api/videos');
  assert.equal(api.status, 200);
  assert.ok(api.ms >= 400, `/api/videos took ${api.ms} ms`);
  assert.ok((await probe(0)).ms < 300);
  await clearFaults(demoInstanceUrl(basePort, 0));
  assert.ok((await probe(0, '/api/videos')).ms < 300);
});

test('crash makes PM2 restart the instance', async (t) => {
  const before = await processOf(1);
  const accepted = await injectFault(demoInstanceUrl(basePort, 1), { fault: 'crash' });
  assert.equal(accepted.exiting, true);
  const crashedAt = Date.now();
  const { proc } = await waitHealthy(1);
  t.diagnostic(`back healthy ${Date.now() - crashedAt} ms after the crash; exit code ${proc.exitCode}`);
  assert.equal(proc.restarts, before.restarts + 1);
  assert.notEqual(proc.pid, before.pid);
  assert.equal(proc.exitCode, 1);
});

test('hang stops /healthz answering while PM2 still lists the instance online', async (t) => {
  const before = await processOf(0);
  const injectStartedAt = performance.now();
  await injectFault(demoInstanceUrl(basePort, 0), { fault: 'hang' });
  assert.ok(performance.now() - injectStartedAt < 1_000, 'injectFault(hang) returned once the 202 arrived');

  assert.equal((await probe(0, '/healthz', {}, 500)).status, 'timeout');
  assert.equal((await probe(0, '/api/videos', {}, 500)).status, 'timeout');
  const hung = await processOf(0);
  assert.equal(hung.status, 'online');
  assert.equal(hung.pid, before.pid);
  assert.equal(hung.restarts, before.restarts);
  assert.equal((await probe(1)).status, 200);

  // The hung process cannot run its SIGINT handler, so PM2 needs kill_timeout and SIGKILL to replace it.
  const restartStartedAt = Date.now();
  await pm2!.restart(hung.pmId);
  const { proc } = await waitHealthy(0);
  const tookMs = Date.now() - restartStartedAt;
  t.diagnostic(`PM2 restart of the hung instance took ${tookMs} ms (kill_timeout 1000 ms)`);
  assert.ok(tookMs >= 900, `restart took ${tookMs} ms: the hung process should only die to SIGKILL after kill_timeout`);
  assert.notEqual(proc.pid, before.pid);
});

test('crash-loop keeps the instance dying across restarts until its fault file is removed', async (t) => {
  const before = await processOf(1);
  const accepted = await injectFault(demoInstanceUrl(basePort, 1), { fault: 'crash-loop', delayMs: 200 });
  assert.deepEqual([accepted.persistent, accepted.exiting], [true, true]);

  const looping = await eventually('three crash-loop restarts', async () => {
    const proc = await processOf(1);
    return proc.restarts >= before.restarts + 3 ? proc : undefined;
  });
  t.diagnostic(`after 3 loops: status ${looping.status}, unstable restarts ${looping.unstableRestarts}`);
  assert.equal(looping.exitCode, 1);
  assert.equal((await probe(0)).status, 200, 'the other instance is untouched');

  assert.equal((await clearPersistentFaults(stateDir, 1)).length, 1);
  // Cleared in time, the next automatic restart comes up healthy; past max_restarts PM2 has given up and only
  // an explicit restart (what a remediation would do) brings it back.
  const afterClear = await processOf(1);
  if (afterClear.status === 'errored') await pm2!.restart(afterClear.pmId);
  const { proc } = await waitHealthy(1, 1);
  t.diagnostic(`recovered after ${proc.restarts - before.restarts} restarts (status when cleared: ${afterClear.status})`);
  assert.deepEqual((await listFaults(demoInstanceUrl(basePort, 1))).faults, []);
});

test('failing-startup never listens and PM2 gives up after max_restarts unstable restarts', async (t) => {
  const before = await processOf(1);
  await setPersistentFault(stateDir, 1, { fault: 'failing-startup' });
  const startedAt = Date.now();
  // A manual restart also resets PM2's unstable-restart window, so the overlimit is reached from a clean count.
  await pm2!.restart(before.pmId);
  const errored = await eventually('PM2 marking the instance errored', async () => {
    const proc = await processOf(1);
    return proc.status === 'errored' ? proc : undefined;
  }, 15_000);
  t.diagnostic(`errored after ${errored.restarts - before.restarts} restarts in ${Date.now() - startedAt} ms`);
  // max_restarts (10) unstable exits: nine automatic restarts, and at the tenth exit PM2 stops trying.
  assert.ok(errored.restarts - before.restarts >= 9, `restarts went from ${before.restarts} to ${errored.restarts}`);
  assert.equal(errored.pid, 0);
  assert.equal((await probe(1)).status, 'refused');

  await clearPersistentFaults(stateDir, 1);
  await pm2!.restart(errored.pmId);
  await waitHealthy(1);
});

test('a counted failing-startup of max_restarts starts runs out exactly as PM2 gives up; diagnosis reads it as a failed start-up, during the loop and after the give-up', async (t) => {
  // Up past min_uptime, so the requested restart's own exit is not an unstable one and PM2 counts from 0.
  const before = (await waitHealthy(1, 3)).proc;
  assert.deepEqual([before.minUptimeMs, before.maxRestarts], [2000, 10], "PM2's limits as demo/ecosystem.ts sets them");
  await setPersistentFault(stateDir, 1, { fault: 'failing-startup', starts: 10 });
  const config = parseConfig({ services: [{ name: DEMO_APP_NAME, basePort, instances: INSTANCES }] });
  const deps: ActivityDeps = { config, pm2: pm2!, logger: createLogger('test') };
  const crashAlert = { names: ['ProcessExited'], firing: [{ name: 'ProcessExited', class: 'process-crash' as const }], count: 1, risk: [], instances: [1] };
  const diagnose = async () => {
    const evidence = await new MockActivityEnvironment().run<[], Evidence, () => Promise<Evidence>>(() => collectEvidence(deps, { service: DEMO_APP_NAME, alerts: crashAlert }));
    return { evidence, diagnosis: classify(evidence, { mode: 'auto', confidenceThreshold: 0.7, maxFailedAttempts: 2 }, loadCatalog()) };
  };

  const startedAt = Date.now();
  await pm2!.restart(before.pmId);
  await new Promise((r) => setTimeout(r, 250)); // the first failing start has exited: where the sentinel alerts
  const during = await diagnose();
  t.diagnostic(`during the loop: ${during.diagnosis.signatureId} at ${during.diagnosis.confidence.toFixed(2)}`);
  assert.equal(during.diagnosis.class, 'failed-startup', during.diagnosis.reasons.join('\n'));

  const errored = await eventually('PM2 giving up', async () => {
    const proc = await processOf(1);
    return proc.status === 'errored' ? proc : undefined;
  }, 15_000);
  t.diagnostic(`errored after ${errored.restarts - before.restarts} restarts in ${Date.now() - startedAt} ms`);
  assert.equal(errored.gaveUp, true, 'PM2 marks its give-up (created_at cleared)');
  assert.equal(errored.restarts - before.restarts, 10, 'the requested restart and nine of its own: ten failing starts');
  assert.equal(existsSync(persistentFaultFile(stateDir, 1)), false, 'the last failing start removed the fault');

  const afterGiveUp = await diagnose();
  const one = afterGiveUp.evidence.instances.find((i) => i.instance === 1)!;
  assert.ok(one.pm2GaveUp, 'the give-up is in the evidence');
  assert.equal(afterGiveUp.diagnosis.signatureId, 'unstable-startup', afterGiveUp.diagnosis.reasons.join('\n'));
  assert.equal(afterGiveUp.diagnosis.class, 'failed-startup');

  // The first start after the give-up (a remediation's restart) serves.
  await pm2!.restart(errored.pmId);
  const { proc } = await waitHealthy(1, 1);
  assert.equal(proc.gaveUp, undefined);
});
