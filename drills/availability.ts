// Availability drills on the real system (Temporal, PM2, demo target, sentinel, worker, governor): a crash,
// a hang, an unhealthy instance, a failed start-up and a host reboot. The sentinel runs with its defaults
// (1 s probes, 2 failures to alert) except the startup grace (3 s, default 15 s) and the boot id file the
// reboot detector reads (the drill's own, so the host need not reboot).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { WorkflowHandle } from '@temporalio/client';
import os from 'node:os';
import path from 'node:path';
import { clearFaults, clearPersistentFaults, injectFault, setPersistentFault } from '../demo/faults';
import { Pm2Client } from '../pm2/client';
import { status } from '../test/helpers/incidents';
import { eventually, startTestSystem, type TestSystem } from '../test/helpers/system';
import { Pm2Alone } from './baseline';
import { DRILL_GOVERNOR } from './governor';
import { incidentDrill, quiet, restartAll, runBaselines, runEach, sleep, using } from './harness';
import type { DrillRun, DrillSpec, FamilyContext } from './types';

async function pmIdOf(pm2: Pm2Client, service: string, instance: number): Promise<number> {
  const p = (await pm2.listApp(service)).find((x) => x.instance === instance);
  if (!p) throw new Error(`instance ${instance} of ${service} is not in PM2`);
  return p.pmId;
}

/** Until PM2 gives up on the instance (errored), `failedAttempts` reads ≥ 1, or `limitMs` passes. */
async function untilErrored(pm2: Pm2Client, service: string, instance: number, limitMs: number, failedAttempts?: () => Promise<number>): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const p = (await pm2.listApp(service).catch(() => [])).find((x) => x.instance === instance);
    if (p?.status === 'errored') return;
    if (failedAttempts && (await failedAttempts()) >= 1) return;
    await sleep(100);
  }
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
            'failed-startup': (spec, run) => {
              const i = run % 2;
              return drill(
                spec,
                run,
                async () => {
                  await setPersistentFault(sys.stateDir, i, { fault: 'failing-startup' });
                  const pmId = await pmIdOf(sys.pm2, sys.service, i);
                  const at = Date.now();
                  await sys.pm2.restart(pmId);
                  return at;
                },
                // The missing dependency is back once PM2 has given up on the instance, or once zero-touch's
                // first attempt has failed (its restart restarts PM2's count of unstable restarts, so PM2 may
                // not get to give up): a transient start-up failure, a few seconds long.
                async (handle) => {
                  await untilErrored(sys.pm2, sys.service, i, 20_000, async () => (await status(handle).catch(() => null))?.failedAttempts ?? 0);
                  await clearPersistentFaults(sys.stateDir, i);
                },
              );
            },
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
      'failed-startup': (env) =>
        env.measure(
          async () => {
            await setPersistentFault(env.stateDir, 0, { fault: 'failing-startup' });
            const pmId = await pmIdOf(env.pm2, env.service, 0);
            const at = Date.now();
            await env.pm2.restart(pmId);
            // The same timeline as the drill: the dependency is back once PM2 has given up.
            void untilErrored(env.pm2, env.service, 0, 20_000).then(() => clearPersistentFaults(env.stateDir, 0));
            return at;
          },
          undefined,
          ctx.baselineLimitMs,
        ),
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
