// Diagnosis waits, briefly, for PM2's verdict on an instance that has just been started after exiting and
// does not answer yet — the start-up that keeps failing, seen between two of its exits, must not look like
// one crash. The predicate on its own, then collectEvidence with a scripted PM2 listing (a stand-in, so
// pid, restarts, status and start time can be set) and real HTTP on loopback; then what the catalog makes of it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { collectEvidence } from '../../activities/collect-evidence';
import { awaitingVerdict, exitReported, PM2_DEFAULT_START_LIMITS, startLimitsOf } from '../../activities/pm2-verdict';
import type { ActivityDeps } from '../../activities/deps';
import { parseConfig } from '../../config/load';
import { createLogger } from '../../observability/logger';
import { toPm2Process, type Pm2Client, type Pm2Process } from '../../pm2/client';
import { classify } from '../../policy/classify';
import { loadCatalog } from '../../policy/catalog/load';
import type { Evidence } from '../../policy/types';
import { freePortRange } from '../helpers/system';
import { alerts, pm2Process, policy } from '../helpers/evidence';

const T0 = 1_000_000;

function proc(instance: number, over: Partial<Pm2Process> = {}): Pm2Process {
  return pm2Process(instance, { memoryBytes: 50e6, cpuPercent: 1, minUptimeMs: 2000, maxRestarts: 10, ...over });
}

const quiet = { restartsDuringDiagnosis: 0, answering: false };

describe('awaitingVerdict', () => {
  const young = proc(1, { startedAt: T0 - 300, unstableRestarts: 1 });

  test('a just-started instance that does not answer, after exits PM2 counted or the sentinel reported: its verdict is to come', () => {
    assert.match(awaitingVerdict(young, quiet, false, T0) ?? '', /started 0\.3 s ago and not answering yet, within PM2's min_uptime of 2\.0 s/);
    assert.ok(awaitingVerdict({ ...young, unstableRestarts: 0 }, quiet, true, T0), 'no unstable restart counted, but its exit was reported');
    assert.ok(awaitingVerdict({ ...young, status: 'launching' }, quiet, false, T0));
  });

  test('nothing to wait for once the verdict is in, or when nothing says it has just been exiting', () => {
    assert.equal(awaitingVerdict(young, { ...quiet, answering: true }, false, T0), null, 'it answers: it starts');
    assert.equal(awaitingVerdict(young, { ...quiet, restartsDuringDiagnosis: 1 }, false, T0), null, 'an exit seen: PM2 counted it before restarting');
    assert.equal(awaitingVerdict({ ...young, startedAt: T0 - 2000 }, quiet, false, T0), null, 'up for min_uptime: a stable start to PM2');
    assert.equal(awaitingVerdict({ ...young, status: 'errored' }, quiet, true, T0), null, 'PM2 gave up');
    assert.equal(awaitingVerdict({ ...young, status: 'stopped' }, quiet, true, T0), null, 'stopped: nobody is starting it');
    assert.equal(awaitingVerdict({ ...young, status: 'waiting restart' }, quiet, true, T0), null, 'its exit is counted already');
    assert.equal(awaitingVerdict({ ...young, unstableRestarts: 0 }, quiet, false, T0), null, 'an ordinary (re)start: no exit counted or reported');
  });

  test("PM2's own limits, or its defaults when the process does not say", () => {
    assert.deepEqual(startLimitsOf(young), { minUptimeMs: 2000, maxRestarts: 10 });
    assert.deepEqual(startLimitsOf({}), PM2_DEFAULT_START_LIMITS);
    assert.equal(awaitingVerdict({ ...young, minUptimeMs: undefined, startedAt: T0 - 1200 }, quiet, false, T0), null, "past PM2's default min_uptime of 1 s");
  });

  test('an exit is reported by a firing crash or start-up alert naming the instance', () => {
    assert.equal(exitReported(alerts({ ProcessExited: 'process-crash' }, { instances: [1] }), 1), true);
    assert.equal(exitReported(alerts({ FailedStartup: 'failed-startup' }, { instances: [1] }), 1), true);
    assert.equal(exitReported(alerts({ ProcessExited: 'process-crash' }, { instances: [0] }), 1), false, 'another instance');
    assert.equal(exitReported(alerts({ InstanceHealthTimeout: 'deadlock' }, { instances: [1] }), 1), false, 'not an exit');
    assert.equal(exitReported(alerts({}, { instances: [1], resolved: ['ProcessExited'] }), 1), false, 'resolved since');
  });
});

describe('PM2 listings', () => {
  test("a give-up is told apart from a stop that timed out (PM2 clears created_at only when it gives up); PM2's limits are read", () => {
    const env = { name: 'svc', pm_id: 3, status: 'errored', restart_time: 10, unstable_restarts: 0, pm_uptime: T0, min_uptime: 2000, max_restarts: 10 };
    const gaveUp = toPm2Process({ pm_id: 3, name: 'svc', pid: 0, pm2_env: { ...env, created_at: null } });
    assert.equal(gaveUp.gaveUp, true);
    assert.equal(gaveUp.minUptimeMs, 2000);
    assert.equal(gaveUp.maxRestarts, 10);
    assert.equal(toPm2Process({ pm_id: 3, name: 'svc', pm2_env: { ...env, created_at: T0 - 5000 } }).gaveUp, undefined, 'a stop that timed out');
    assert.equal(toPm2Process({ pm_id: 3, name: 'svc', pm2_env: { ...env, status: 'online', created_at: null } }).gaveUp, undefined, 'not errored');
    const bare = toPm2Process({ pm_id: 3, name: 'svc', pm2_env: { name: 'svc', status: 'online', min_uptime: 'soon' } });
    assert.equal(bare.minUptimeMs, undefined, 'PM2 did not say (its defaults apply)');
    assert.equal(bare.maxRestarts, undefined);
  });
});

describe('collectEvidence waits for PM2’s verdict', () => {
  let basePort: number;
  let server: http.Server;
  let catalogDir: string;
  let shortWaitCatalog: string;
  before(async () => {
    // Instance 0 answers; instance 1 listens on nothing (refused: a process that never got to listen).
    basePort = await freePortRange(2);
    server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(basePort, '127.0.0.1', r));
    catalogDir = await mkdtemp(path.join(os.tmpdir(), 'zt-verdict-'));
    shortWaitCatalog = path.join(catalogDir, 'short-wait.json');
    await writeFile(shortWaitCatalog, JSON.stringify({ settings: { pm2VerdictWaitMs: 600 } }));
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await rm(catalogDir, { recursive: true, force: true });
  });

  /**
   * Runs collectEvidence over a scripted PM2: `script(n, msSinceStart)` is what PM2 lists at look n. Its
   * processes' startedAt is relative to the diagnosis' start (added to the real clock).
   */
  async function collect(script: (look: number, ms: number) => Pm2Process[], evidenceAlerts: Evidence['alerts'], catalogFiles: string[] = []) {
    const config = parseConfig({
      services: [{ name: 'svc', basePort, instances: 2 }],
      policy: { diagnosis: { samples: 3, sampleIntervalMs: 100, probeTimeoutMs: 300 }, catalogFiles },
    });
    let looks = 0;
    const started = Date.now();
    const pm2 = {
      listApp: async () => script(looks++, Date.now() - started).map((p) => ({ ...p, startedAt: started + p.startedAt })),
    } as unknown as Pm2Client;
    const deps: ActivityDeps = { config, pm2, logger: createLogger('test') };
    const evidence = await new MockActivityEnvironment().run<[], Evidence, () => Promise<Evidence>>(() => collectEvidence(deps, { service: 'svc', alerts: evidenceAlerts }));
    return { evidence, looks, ms: Date.now() - started, one: evidence.instances.find((i) => i.instance === 1)! };
  }

  const crashAlert = alerts({ ProcessExited: 'process-crash' }, { instances: [1] });
  const ok = proc(0, { startedAt: -60_000 });

  test('a start-up seen between two exits (a slow one: each start lives longer than the three looks) is watched until PM2 counts the next exit: a failed start-up', async () => {
    // Each start lives ~700 ms before it throws; PM2 counts every exit as unstable.
    const script = (_n: number, ms: number) => {
      const exits = ms < 600 ? 0 : 1;
      return [ok, proc(1, { restarts: 3 + exits, unstableRestarts: 3 + exits, pid: 200 + exits, exitCode: 1, startedAt: exits ? 600 : -100 })];
    };
    const { evidence, looks, one, ms } = await collect(script, crashAlert);
    assert.ok(looks > 3, `looked on after the 3 samples (${looks} looks)`);
    assert.ok(ms < 1500, `stopped looking once the exit was counted (${ms} ms)`);
    assert.equal(one.restartsDuringDiagnosis, 1);
    assert.equal(one.unstableRestartsDuringDiagnosis, 1);
    assert.ok(one.verdictWait && one.verdictWait.waitedMs > 0);
    assert.equal(one.verdictWait.ended, 'it exited again and PM2 counted 1 unstable restart(s)');
    assert.deepEqual(one.startLimits, { minUptimeMs: 2000, maxRestarts: 10 });
    const d = classify(evidence, policy, loadCatalog());
    assert.equal(d.class, 'failed-startup');
    assert.equal(d.signatureId, 'unstable-startup');
    assert.ok(d.reasons.some((r) => r.includes("waited") && r.includes("for PM2's verdict on its start")), d.reasons.join('\n'));
  });

  test('without the wait the same start-up reads as a crash loop (what the drill saw), so the wait is what tells them apart', async () => {
    const script = (_n: number, ms: number) => {
      const exits = ms < 600 ? 0 : 1;
      return [ok, proc(1, { restarts: 3 + exits, unstableRestarts: 3 + exits, pid: 200 + exits, exitCode: 1, startedAt: exits ? 600 : -100 })];
    };
    const noWait = path.join(catalogDir, 'no-wait.json');
    await writeFile(noWait, JSON.stringify({ settings: { pm2VerdictWaitMs: 0 } }));
    const { evidence, looks, one } = await collect(script, crashAlert, [noWait]);
    assert.equal(looks, 3);
    assert.equal(one.verdictWait, undefined);
    assert.equal(classify(evidence, policy, loadCatalog([noWait])).class, 'process-crash');
  });

  test('a serving process that crashed once and is caught before it listens: watched only until it answers, a crash', async () => {
    // PM2 restarted it 100 ms before diagnosis; it listens 500 ms later.
    const answerAt = 500;
    const script = () => [ok, proc(1, { restarts: 1, pid: 300, exitCode: 1, startedAt: -100 })];
    const listening = http.createServer((_req, res) => res.end('ok'));
    const timer = setTimeout(() => listening.listen(basePort + 1, '127.0.0.1'), answerAt);
    try {
      const { evidence, looks, one, ms } = await collect(script, crashAlert);
      assert.ok(looks >= 4, `looked on until it answered (${looks} looks)`);
      assert.ok(ms < 1200, `a fraction of a second (${ms} ms)`);
      assert.equal(one.verdictWait?.ended, 'it answered its health check');
      assert.equal(one.samples.at(-1)?.health, 'ok');
      assert.equal(classify(evidence, policy, loadCatalog()).class, 'process-crash');
    } finally {
      clearTimeout(timer);
      listening.close();
    }
  });

  test('healthy instances, a stopped one, an old one, a given-up one, or no sign of an exit: the usual three looks, no wait', async () => {
    const cases: Array<[string, Pm2Process, Evidence['alerts']]> = [
      ['running for a minute, not answering (a hang or not listening: not a start)', proc(1, { startedAt: -60_000, unstableRestarts: 2 }), crashAlert],
      ['stopped', proc(1, { status: 'stopped', pid: 0, startedAt: -100 }), crashAlert],
      ['errored', proc(1, { status: 'errored', pid: 0, startedAt: -100, gaveUp: true }), crashAlert],
      ['just started, no exit counted or reported (a scale-up, a requested restart)', proc(1, { startedAt: -100 }), alerts({})],
    ];
    for (const [name, p, a] of cases) {
      const { looks, one } = await collect(() => [ok, p], a);
      assert.equal(looks, 3, name);
      assert.equal(one.verdictWait, undefined, name);
    }
  });

  test("bounded: a start PM2 never judges is watched until it outlives min_uptime, and never past the catalog's pm2VerdictWaitMs", async () => {
    const neverExits = proc(1, { startedAt: -100, unstableRestarts: 1, minUptimeMs: 700 });
    const outlived = await collect(() => [ok, neverExits], crashAlert);
    assert.equal(outlived.one.verdictWait?.ended, "it outlived PM2's min_uptime");
    assert.ok(outlived.ms >= 600 && outlived.ms < 1200, `until min_uptime (${outlived.ms} ms)`);
    assert.equal(classify(outlived.evidence, policy, loadCatalog()).class, 'process-crash', 'up past min_uptime and refusing: not a failed start-up');

    const slowJudge = proc(1, { startedAt: -100, unstableRestarts: 1, minUptimeMs: 60_000 });
    const capped = await collect(() => [ok, slowJudge], crashAlert, [shortWaitCatalog]);
    assert.match(capped.one.verdictWait?.ended ?? '', /^still undecided at the 600 ms limit \(started .* s ago and not answering yet/);
    const sampling = 2 * 100;
    assert.ok(capped.ms < sampling + 600 + 400, `capped (${capped.ms} ms)`);
  });

  test('PM2 gave up before the first look: recorded, and read as the failed start-up it is within its episode', async () => {
    const gaveUp = proc(1, { status: 'errored', pid: 0, restarts: 10, exitCode: 1, startedAt: -1500, gaveUp: true });
    const { evidence, one, looks } = await collect(() => [ok, gaveUp], crashAlert);
    assert.equal(looks, 3);
    assert.ok(one.pm2GaveUp && one.pm2GaveUp.lastStartMsBeforeLook >= 1500 && one.pm2GaveUp.lastStartMsBeforeLook < 2500);
    const d = classify(evidence, policy, loadCatalog());
    assert.equal(d.signatureId, 'unstable-startup');
    assert.equal(d.class, 'failed-startup');
    assert.ok(d.reasons.some((r) => r.includes('PM2 had already given up on it when diagnosis looked')), d.reasons.join('\n'));
  });
});
