// Resource and node detectors against the real demo target under real PM2: each fault is injected for
// real (a leaking instance, a burning instance, a filled filesystem, a new boot id, a restarted PM2
// daemon, an instance that cannot start) and each detector, run by the real runner with its damping,
// must raise the right alert for the right subject, while a GC sawtooth, a short CPU burst and a single
// crash that recovers raise nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { serviceSchema, type ServiceConfig } from '../../config/schema';
import { demoApp } from '../../demo/ecosystem';
import { clearFaults, clearPersistentFaults, injectFault, listFaults, setPersistentFault } from '../../demo/faults';
import { createLogger } from '../../observability/logger';
import { Pm2Client } from '../../pm2/client';
import type { Detector, DetectorFactory, Observation } from '../../sentinel/detector';
import { cpuDetector } from '../../sentinel/detectors/cpu';
import { diskDetector } from '../../sentinel/detectors/disk';
import { memoryDetector } from '../../sentinel/detectors/memory';
import { rebootDetector } from '../../sentinel/detectors/reboot';
import { startupDetector } from '../../sentinel/detectors/startup';
import { runDetector } from '../../sentinel/run-detector';
import type { AlertInput } from '../../signals/alert';
import { eventually, startTestSystem, waitForHealthy, type TestSystem } from '../helpers/system';

const logger = createLogger('test');

interface Received {
  alert: AlertInput;
  at: number;
}

/**
 * Runs one detector with the real runner and records what it would send to the ingest path, and every
 * observation the detector made on the way (passed through untouched), so a test can show what was judged.
 */
function watch(sys: TestSystem, pm2: Pm2Client, detectors: Record<string, unknown>, factory: DetectorFactory) {
  const service: ServiceConfig = serviceSchema.parse({ name: sys.service, basePort: sys.basePort, instances: 2, detectors });
  const detector = factory({ service, pm2, sentinel: sys.config.sentinel, logger });
  assert.ok(detector, 'the detector is configured');
  const received: Received[] = [];
  const observed: Array<{ observation: Observation; at: number }> = [];
  const recording: Detector = {
    name: detector.name,
    intervalMs: detector.intervalMs,
    damping: detector.damping,
    async observe() {
      const observations = await detector.observe();
      const at = Date.now();
      observed.push(...observations.map((observation) => ({ observation, at })));
      return observations;
    },
  };
  const runner = runDetector({ service, detector: recording, logger, sink: async (alerts) => void received.push(...alerts.map((alert) => ({ alert, at: Date.now() }))) });
  return {
    received,
    observed,
    firing: () => received.filter((r) => r.alert.status === 'firing'),
    stop: () => runner.stop(),
  };
}

function firstFiring(w: ReturnType<typeof watch>, name: string): Promise<Received> {
  return eventually(`a firing ${name}`, async () => w.firing().find((r) => r.alert.name === name), 40_000);
}

function report(className: string, since: number, at: number): void {
  console.log(`# detect ${className}: ${((at - since) / 1000).toFixed(1)} s`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readDaemonPid(pm2Home: string | undefined): Promise<number | null> {
  if (!pm2Home) return null;
  const text = await readFile(path.join(pm2Home, 'pm2.pid'), 'utf8').catch(() => '');
  return Number(text.trim()) || null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function pmIdOf(pm2: Pm2Client, service: string, instance: number): Promise<number> {
  const p = (await pm2.listApp(service)).find((x) => x.instance === instance);
  assert.ok(p, `instance ${instance} is listed`);
  return p.pmId;
}

describe('resource and node detectors on the real demo target', () => {
  let sys: TestSystem;
  let tmp = '';
  const mounts: string[] = [];
  /** After the PM2 daemon restart test, the client of the new daemon (the system's own is dead then). */
  let restartedPm2: Pm2Client | undefined;

  before(async () => {
    sys = await startTestSystem();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zt-detect-'));
  });

  after(async () => {
    for (const dir of mounts) {
      try {
        execFileSync('umount', [dir]);
      } catch (err) {
        console.error(`# umount ${dir} failed: ${String(err)}`);
      }
    }
    // The system's own client reconnects to whichever daemon serves its PM2_HOME, so its stop() kills the
    // restarted daemon too; any daemon still alive after that is stopped by its pid.
    const daemonPid = await readDaemonPid(sys?.config.pm2.home);
    await restartedPm2?.disconnect();
    await sys?.stop();
    if (daemonPid && isAlive(daemonPid)) process.kill(daemonPid, 'SIGTERM');
    await rm(tmp, { recursive: true, force: true });
  });

  // The short test window; both memory tests use it, so the sawtooth is judged exactly as the leak is.
  const MEMORY_WINDOW_MS = 8_000;
  const memoryDetectors = { memory: { windowMs: MEMORY_WINDOW_MS, growthMbPerMinute: 30, intervalMs: 500 } };

  test('memory fault → MemoryLeak for that instance; the idle instance stays quiet', async () => {
    const w = watch(sys, sys.pm2, memoryDetectors, memoryDetector);
    try {
      // Let the detector see both instances idle before the leak starts.
      await sleep(2_000);
      const since = Date.now();
      await injectFault(sys.instanceUrl(0), { fault: 'memory', mbPerSecond: 4, maxMb: 300 });
      const hit = await firstFiring(w, 'MemoryLeak');
      report('memory-leak', since, hit.at);
      assert.equal(hit.alert.instance, 0);
      assert.equal(hit.alert.labels?.subject, 'instance:0');
      assert.ok(hit.at - since < 20_000, 'detected within 20 s');
      assert.deepEqual(w.firing().filter((r) => r.alert.instance !== 0), [], 'no alert for the idle instance');
    } finally {
      await w.stop();
      await clearFaults(sys.instanceUrl(0)).catch(() => undefined);
      await sys.pm2.restart(await pmIdOf(sys.pm2, sys.service, 0));
      await waitForHealthy(sys.basePort, 2);
    }
  });

  test('a GC sawtooth (tens of MB taken and given back, over and over) raises no MemoryLeak', async () => {
    const w = watch(sys, sys.pm2, memoryDetectors, memoryDetector);
    try {
      await sleep(2_000);
      const since = Date.now();
      // Four teeth per window: each climbs 64 MB over 1.5 s, then is dropped and collected.
      await injectFault(sys.instanceUrl(1), { fault: 'sawtooth', mb: 64, periodMs: 2_000 });
      // Long enough for the detector to judge windows made only of sawtooth for more than one more window.
      await sleep(2 * MEMORY_WINDOW_MS + 4_000);
      const fault = (await listFaults(sys.instanceUrl(1))).faults.find((f) => f.fault === 'sawtooth');

      const judged = w.observed.filter((r) => r.observation.instance === 1 && r.at >= since);
      const rss = judged.map((r) => Number(r.observation.labels?.rssMb));
      const slopes = judged.map((r) => r.observation.labels?.growthMbPerMinute).filter((g) => g !== undefined).map(Number);
      const fullWindows = judged.filter((r) => r.at - since >= MEMORY_WINDOW_MS && r.observation.labels?.growthMbPerMinute !== undefined);
      const [min, max] = [Math.min(...rss), Math.max(...rss)];
      console.log(
        `# sawtooth as the memory detector read it (PM2 RSS, MB): min ${min.toFixed(0)}, max ${max.toFixed(0)} over ${rss.length} readings; ` +
          `fitted slopes ${Math.min(...slopes).toFixed(0)} to ${Math.max(...slopes).toFixed(0)} MB/min; ${fault?.teeth} teeth given back (gc ${fault?.gc})`,
      );
      console.log(`# sawtooth RSS readings: ${rss.map((mb) => mb.toFixed(0)).join(' ')}`);

      assert.equal(fault?.gc, 'forced', 'PM2 started the target with --expose-gc');
      assert.ok((fault?.teeth ?? 0) >= 8, `teeth given back: ${fault?.teeth}`);
      assert.ok(max - min >= 40, `RSS really moved: ${min.toFixed(0)}..${max.toFixed(0)} MB`);
      assert.ok(
        fullWindows.length > 0 && fullWindows.at(-1)!.at - fullWindows[0]!.at >= MEMORY_WINDOW_MS,
        `the detector judged windows of pure sawtooth for more than a whole window (${fullWindows.length} verdicts)`,
      );
      assert.deepEqual(
        w.received.map((r) => `${r.alert.name} ${r.alert.status} ${r.alert.summary}`),
        [],
        'a sawtooth is not a leak',
      );
    } finally {
      await w.stop();
      await clearFaults(sys.instanceUrl(1)).catch(() => undefined);
    }
  });

  test('a short CPU burst raises nothing; sustained 100% CPU → CpuSpike', async () => {
    // The threshold is low on purpose: on a shared 2-core CI machine a spinning process gets only its share
    // of a busy CPU (35-50% measured under load), while an idle instance reads 0-2%.
    const w = watch(sys, sys.pm2, { cpu: { percent: 25, sustainedMs: 3_000, intervalMs: 500 } }, cpuDetector);
    try {
      await injectFault(sys.instanceUrl(1), { fault: 'cpu', percent: 100 });
      await sleep(1_500);
      await clearFaults(sys.instanceUrl(1));
      await sleep(4_000);
      assert.deepEqual(w.received, [], 'a 1.5 s burst is not a spike');

      const since = Date.now();
      await injectFault(sys.instanceUrl(1), { fault: 'cpu', percent: 100 });
      const hit = await firstFiring(w, 'CpuSpike');
      report('cpu-spike', since, hit.at);
      assert.equal(hit.alert.instance, 1);
      assert.equal(hit.alert.labels?.subject, 'instance:1');
      assert.ok(hit.at - since >= 3_000, 'not before sustainedMs');
      assert.ok(hit.at - since < 10_000, 'detected within 10 s');
    } finally {
      await w.stop();
      await clearFaults(sys.instanceUrl(1)).catch(() => undefined);
    }
  });

  test('a filled filesystem → DiskPressure for its path', async () => {
    const dir = path.join(tmp, 'disk');
    await mkdir(dir);
    let how: string;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'pipe' });
      mounts.push(dir);
      how = 'an 8 MB tmpfs mounted for the test';
    } catch {
      how = 'the real filesystem of the temp dir (no mount allowed)';
    }
    console.log(`# disk pressure produced on ${how}`);
    const { diskUsage } = await import('../../sentinel/detectors/disk-usage');
    const freeBefore = (await diskUsage(dir)).freePercent;
    // On the tmpfs, 7 of 8 MB; without the mount, a floor just above today's free share minus 64 MB.
    const fillBytes = mounts.includes(dir) ? 7 * 1024 * 1024 : 64 * 1024 * 1024;
    const floor = mounts.includes(dir) ? 20 : freeBefore - 0.0001;
    const w = watch(sys, sys.pm2, { disk: { paths: [dir], minFreePercent: floor, intervalMs: 500 } }, diskDetector);
    try {
      await sleep(2_000);
      assert.deepEqual(w.received, [], `no pressure before filling (${freeBefore.toFixed(1)}% free)`);
      const since = Date.now();
      await writeFile(path.join(dir, 'filler'), Buffer.alloc(fillBytes, 1));
      const hit = await firstFiring(w, 'DiskPressure');
      report('disk-pressure', since, hit.at);
      assert.equal(hit.alert.labels?.subject, `path:${dir}`);
      assert.match(hit.alert.summary ?? '', /short of space/);
    } finally {
      await w.stop();
      await rm(path.join(dir, 'filler'), { force: true });
    }
  });

  test('a single crash that recovers is no failed startup; failing-startup + crash → FailedStartup', async () => {
    const detectors = { startup: { graceMs: 3_000, intervalMs: 500 } };
    const quiet = watch(sys, sys.pm2, detectors, startupDetector);
    try {
      await sleep(1_000);
      await injectFault(sys.instanceUrl(1), { fault: 'crash' });
      await sleep(1_000);
      await waitForHealthy(sys.basePort, 2);
      await sleep(4_000);
      assert.deepEqual(quiet.received, [], 'a crash followed by a healthy restart is not a failed startup');
    } finally {
      await quiet.stop();
    }

    const w = watch(sys, sys.pm2, detectors, startupDetector);
    try {
      await sleep(1_000);
      await setPersistentFault(sys.stateDir, 0, { fault: 'failing-startup' });
      const since = Date.now();
      await injectFault(sys.instanceUrl(0), { fault: 'crash' });
      const hit = await firstFiring(w, 'FailedStartup');
      report('failed-startup', since, hit.at);
      assert.equal(hit.alert.instance, 0);
      assert.equal(hit.alert.labels?.subject, 'instance:0');
      assert.deepEqual(w.firing().filter((r) => r.alert.instance !== 0), [], 'the healthy instance is not named');
    } finally {
      await w.stop();
      await clearPersistentFaults(sys.stateDir, 0);
      await sys.pm2.restart(await pmIdOf(sys.pm2, sys.service, 0));
      await waitForHealthy(sys.basePort, 2);
    }
  });

  // Last: it replaces the system's PM2 daemon under the system's feet.
  test('a new boot id → NodeRebooted; a restarted PM2 daemon → Pm2DaemonRestarted', async () => {
    const bootIdPath = path.join(tmp, 'boot_id');
    await writeFile(bootIdPath, 'boot-before\n');
    const w = watch(sys, sys.pm2, { reboot: { bootIdPath, stateFile: path.join(tmp, 'last-boot.json'), intervalMs: 500 } }, rebootDetector);
    try {
      await sleep(1_500);
      assert.deepEqual(w.received, [], 'nothing changed yet');

      let since = Date.now();
      await writeFile(bootIdPath, 'boot-after\n');
      const reboot = await firstFiring(w, 'NodeRebooted');
      report('node-reboot (boot id)', since, reboot.at);
      assert.equal(reboot.alert.labels?.subject, 'node');

      since = Date.now();
      // SIGTERM is what an operator's `kill` or a host shutdown sends; PM2 stops its apps on it, so the new
      // daemon can start them again on the same ports.
      const oldPid = (await readDaemonPid(sys.config.pm2.home))!;
      process.kill(oldPid, 'SIGTERM');
      await eventually('the old PM2 daemon to exit', async () => (isAlive(oldPid) ? undefined : true), 15_000);
      restartedPm2 = await Pm2Client.connect({ home: sys.config.pm2.home! });
      await restartedPm2.start(demoApp({ name: sys.service, instances: 2, basePort: sys.basePort, stateDir: sys.stateDir }));
      const daemon = await firstFiring(w, 'Pm2DaemonRestarted');
      report('node-reboot (PM2 daemon)', since, daemon.at);
      assert.equal(daemon.alert.labels?.subject, 'pm2-daemon');
      await waitForHealthy(sys.basePort, 2);
    } finally {
      await w.stop();
    }
  });
});
