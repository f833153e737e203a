// Resource drills on the real system: a leaking instance, every instance burning CPU (load: a bounded
// scale-up, scaled back down after the cooldown) and a filled filesystem holding the service's temp dir
// (an 8 MB tmpfs; the clean-up archives the junk to another filesystem). Detector windows are shortened
// as in test/integration/detect-resources.test.ts so a run takes seconds, not minutes (docs/drills.md).
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clearFaults, injectFault } from '../demo/faults';
import { diskUsage } from '../sentinel/detectors/disk-usage';
import { eventually, startTestSystem, type TestSystem } from '../test/helpers/system';
import { Pm2Alone } from './baseline';
import { DRILL_GOVERNOR } from './governor';
import { incidentDrill, onExit, quiet, restartAll, runBaselines, runEach, sleep, using } from './harness';
import type { FamilyContext } from './types';

const BUSY_PERCENT = 25;
const DISK_FLOOR_PERCENT = 20;
const FILL_BYTES = 7 * 1024 * 1024;

async function cpuQuiet(sys: TestSystem): Promise<void> {
  await eventually(
    'two quiet instances',
    async () => {
      const procs = await sys.pm2.listApp(sys.service);
      return procs.length === 2 && procs.every((p) => p.status === 'online' && p.cpuPercent < BUSY_PERCENT / 2) ? true : undefined;
    },
    60_000,
  );
}

/** An 8 MB tmpfs at `dir`; refused without the right to mount (the drill then cannot run). */
function mountTmpfs(dir: string): () => Promise<void> {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'pipe' });
  return async () => {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch (err) {
      console.error(`umount ${dir} failed: ${String(err)}`);
    }
  };
}

export async function resources(ctx: FamilyContext): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'zt-drill-res-'));
  const diskDir = path.join(tmp, 'disk');
  const tempDir = path.join(diskDir, 'tmp');
  const catalog = path.join(tmp, 'catalog.json');
  await mkdir(diskDir);
  await writeFile(catalog, JSON.stringify({ settings: { cpuBusyPercent: BUSY_PERCENT }, signatures: [] }));
  let unmount: (() => Promise<void>) | null = null;
  const wantsDisk = ctx.specs.some((s) => s.id === 'disk-pressure');
  if (wantsDisk) {
    const um = mountTmpfs(diskDir);
    const off = onExit(um);
    unmount = async () => {
      off();
      await um();
    };
    await mkdir(tempDir);
  }
  const filler = path.join(tempDir, 'render-cache.tmp');
  const freePercent = async () => (await diskUsage(diskDir)).freePercent;
  try {
    await using(
      () =>
        startTestSystem({
          detectors: {
            // 120 MB/min over 8 s (16 MB): the leak drill retains 240 MB/min; at the detection test's 30 MB/min
            // (4 MB in 8 s) two instances burning CPU next to it grew enough to read as a leak.
            memory: { windowMs: 8_000, growthMbPerMinute: 120, intervalMs: 500 },
            cpu: { percent: BUSY_PERCENT, sustainedMs: 5_000, intervalMs: 500 },
            ...(wantsDisk ? { disk: { paths: [diskDir], minFreePercent: DISK_FLOOR_PERCENT, intervalMs: 500 } } : {}),
          },
          actions: {
            scale: { maxInstances: 3, cooldownMs: 3_000 },
            ...(wantsDisk ? { disk: { tempDirs: [tempDir], minAgeMs: 0, archiveDir: path.join(tmp, 'archive') } } : {}),
          },
          config: { policy: { catalogFiles: [catalog] }, governor: DRILL_GOVERNOR },
        }),
      async (sys) => {
        await sys.startSentinel();
        await runEach(
          ctx,
          {
            'memory-leak': (spec, run) =>
              incidentDrill({
                sys,
                spec,
                run,
                group: 'resources',
                inject: async () => {
                  await injectFault(sys.instanceUrl(run % 2), { fault: 'memory', mbPerSecond: 4, maxMb: 300 });
                  return Date.now();
                },
              }),
            'cpu-spike': async (spec, run) => {
              await cpuQuiet(sys);
              await sleep(3_000);
              const r = await incidentDrill({
                sys,
                spec,
                run,
                group: 'resources',
                inject: async () => {
                  const at = Date.now();
                  await Promise.all([0, 1].map((i) => injectFault(sys.instanceUrl(i), { fault: 'cpu', percent: 80 })));
                  return at;
                },
              });
              await Promise.all([0, 1].map((i) => clearFaults(sys.instanceUrl(i)).catch(() => undefined)));
              // The scale-down undo runs once the service stayed healthy for the cooldown; the next run starts from two.
              const id = r.incidentIds[0];
              if (id && r.actions.some((a) => a.startsWith('scale-up'))) {
                await sys.temporal.client.workflow.getHandle(`undo-after-recovery-${id}`).result().catch(() => undefined);
              }
              return r;
            },
            'disk-pressure': async (spec, run) => {
              const r = await incidentDrill({
                sys,
                spec,
                run,
                group: 'resources',
                inject: async () => {
                  await writeFile(filler, Buffer.alloc(FILL_BYTES, 1));
                  return Date.now();
                },
              });
              const free = await freePercent();
              r.extra = { ...r.extra, freePercentAfter: Math.round(free * 10) / 10, conditionCleared: free >= DISK_FLOOR_PERCENT };
              if (free < DISK_FLOOR_PERCENT) {
                r.passed = false;
                r.why += `; the filesystem is still short of space (${free.toFixed(1)} % free)`;
              }
              await rm(filler, { force: true });
              return r;
            },
          },
          () => quiet(sys, 2, 3_000),
          async () => {
            await Promise.all([0, 1].map((i) => clearFaults(sys.instanceUrl(i), { timeoutMs: 500 }).catch(() => undefined)));
            await rm(filler, { force: true });
            for (const p of await sys.pm2.listApp(sys.service)) if (p.instance >= 2) await sys.pm2.delete(p.pmId).catch(() => undefined);
            await restartAll(sys);
          },
        );
      },
    );
    await runBaselines(ctx, () => Pm2Alone.start(), {
      'memory-leak': (env) =>
        env.measure(async () => (await injectFault(env.instanceUrl(0), { fault: 'memory', mbPerSecond: 4, maxMb: 300 }), Date.now()), undefined, ctx.baselineLimitMs),
      'cpu-spike': (env) =>
        env.measure(async () => (await Promise.all([0, 1].map((i) => injectFault(env.instanceUrl(i), { fault: 'cpu', percent: 80 }))), Date.now()), undefined, ctx.baselineLimitMs),
      'disk-pressure': async (env) => {
        const seconds = await env.measure(
          async () => (await writeFile(filler, Buffer.alloc(FILL_BYTES, 1)), Date.now()),
          async () => (await env.healthy()) && (await freePercent()) >= DISK_FLOOR_PERCENT,
          ctx.baselineLimitMs,
        );
        await rm(filler, { force: true });
        return seconds;
      },
    });
  } finally {
    await unmount?.();
    await rm(tmp, { recursive: true, force: true });
  }
}
