// Availability drills on the real system (Temporal, PM2, demo target, sentinel, worker, governor): a crash,
// a hang, an unhealthy instance, a failed start-up and a host reboot. The sentinel runs with its defaults
// (1 s probes, 2 failures to alert) except the startup grace (3 s, default 15 s) and the boot id file the
// reboot detector reads (the drill's own, so the host need not reboot).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { WorkflowHandle } from '@temporalio/client';
import os from 'node:os';
import path from 'node:path';
import { clearFaults, clearPersistentFaults, injectFault, setPersistentFault } from '../demo/faults';
import { startLimitsOf } from '../activities/pm2-verdict';
import type { Pm2Client, Pm2Process } from '../pm2/client';
import { eventually, startTestSystem, type TestSystem } from '../test/helpers/system';
import { Pm2Alone } from './baseline';
import { DRILL_GOVERNOR } from './governor';
import { incidentDrill, quiet, restartAll, runBaselines, runEach, sleep, using } from './harness';
import type { DrillRun, DrillSpec, FamilyContext } from './types';

async function processOf(pm2: Pm2Client, service: string, instance: number): Promise<Pm2Process> {
  const p = (await pm2.listApp(service)).find((x) => x.instance === instance);
  if (!p) throw new Error(`instance ${instance} of ${service} is not in PM2`);
  return p;
}

/**
 * The failed start-up: a dependency missing for exactly as many starts as PM2 makes before it gives up (its
 * max_restarts), then a requested restart of the instance (a config reload). Every start PM2 makes throws, the
 * last failing one removes the fault, so the first start after PM2 gave up — zero-touch's — succeeds: the
 * dependency's return is counted in starts, not raced against anyone's restart. Returns the fault's moment.
 */
async function failStartsUntilPm2GivesUp(pm2: Pm2Client, stateDir: string, service: string, instance: number): Promise<number> {
  let p = await processOf(pm2, service, instance);
  const { minUptimeMs, maxRestarts } = startLimitsOf(p);
  // The exit of a process younger than min_uptime counts as unstable too, and PM2 would give up one start early.
  while (Date.now() - p.startedAt < minUptimeMs) {
    await sleep(Math.max(50, minUptimeMs - (Date.now() - p.startedAt)));
    p = await processOf(pm2, service, instance);
  }
  await setPersistentFault(stateDir, instance, { fault: 'failing-startup', starts: maxRestarts });
  const at = Date.now();
  await pm2.restart(p.pmId);
  return at;
}

const accepted = async (p: Promise<unknown>) => {
  await p;
  return Date.now();
};

export async function availability(ctx: FamilyContext): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'zt-drill-avail-'));
  const bootIdPath = path.join(tmp, 'boot_id');
  await writeFile(bootIdPath, 'boot-0\n');
  try {
    await using(
      () =>
        startTestSystem({
          detectors: { startup: { graceMs: 3_000, intervalMs: 500 }, reboot: { bootIdPath, stateFile: path.join(tmp, 'last-boot.json'), intervalMs: 500 } },
          config: { governor: DRILL_GOVERNOR },
        }),
      async (sys) => {
        await sys.startSentinel();
        const drill = (spec: DrillSpec, run: number, inject: () => Promise<number>, afterOpen?: (handle: WorkflowHandle) => Promise<void>): Promise<DrillRun> =>
          incidentDrill({ sys, spec, run, group: 'availability', inject, ...(afterOpen ? { afterOpen } : {}) });
        await runEach(
          ctx,
          {
            'process-crash': (spec, run) => drill(spec, run, () => accepted(injectFault(sys.instanceUrl(run % 2), { fault: 'crash' }))),
            deadlock: (spec, run) => drill(spec, run, () => accepted(injectFault(sys.instanceUrl(run % 2), { fault: 'hang' }))),
            'unhealthy-health-check': (spec, run) => drill(spec, run, () => accepted(injectFault(sys.instanceUrl(run % 2), { fault: 'unhealthy' }))),
            'failed-startup': (spec, run) => drill(spec, run, () => failStartsUntilPm2GivesUp(sys.pm2, sys.stateDir, sys.service, run % 2)),
            'node-reboot': async (spec, run) => {
              const r = await drill(spec, run, () => accepted(writeFile(bootIdPath, `boot-${run}-${Date.now()}\n`)));
              // The detector alerts once per boot id it started with; the original id back resolves it for the next run.
              await writeFile(bootIdPath, 'boot-0\n');
              return r;
            },
          },
          () => quiet(sys),
          () => recoverAvailability(sys),
        );
      },
    );
    await runBaselines(ctx, () => Pm2Alone.start(), {
      'process-crash': (env) => env.measure(() => accepted(injectFault(env.instanceUrl(0), { fault: 'crash' })), undefined, ctx.baselineLimitMs),
      deadlock: (env) => env.measure(() => accepted(injectFault(env.instanceUrl(0), { fault: 'hang' })), undefined, ctx.baselineLimitMs),
      'unhealthy-health-check': (env) => env.measure(() => accepted(injectFault(env.instanceUrl(0), { fault: 'unhealthy' })), undefined, ctx.baselineLimitMs),
      // The same fault: the dependency is back from the first start after PM2 gave up, which PM2 alone never makes.
      'failed-startup': (env) => env.measure(() => failStartsUntilPm2GivesUp(env.pm2, env.stateDir, env.service, 0), undefined, ctx.baselineLimitMs),
      // Nothing of the service is broken by a reboot that brought every instance back.
      'node-reboot': (env) => env.measure(async () => Date.now(), undefined, ctx.baselineLimitMs),
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function recoverAvailability(sys: TestSystem): Promise<void> {
  await clearPersistentFaults(sys.stateDir);
  await Promise.all([0, 1].map((i) => clearFaults(sys.instanceUrl(i), { timeoutMs: 500 }).catch(() => undefined)));
  await restartAll(sys);
  await eventually('both instances online', async () => ((await sys.pm2.listApp(sys.service)).every((p) => p.status === 'online') ? true : undefined), 30_000);
}
