// Traffic drills under steady loopback traffic on both instances: a slow instance (route timeout) and a
// release that fails half its requests (bad deploy → rollback), and in a system of its own the forced
// rollback: a release that dies on start (crash loop right after a deploy → rollback). The demo runs
// through a release layout; every run deploys a new bad version with `zt deploy`. The routes and deploy
// detectors are tuned as in test/integration/detect-traffic.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clearFaults, injectFault } from '../demo/faults';
import { startTestSystem, type TestSystem } from '../test/helpers/system';
import { Pm2Alone } from './baseline';
import { DRILL_GOVERNOR } from './governor';
import { incidentDrill, quiet, restartAll, runBaselines, runEach, Traffic, using } from './harness';
import { makeRelease, ztDeploy, type DeployTarget } from './releases';
import type { FamilyContext } from './types';

const ROUTES = { windowMs: 5_000, p95Ms: 300, minRequests: 5, intervalMs: 500 };
const DEPLOY = { windowMs: 60_000, warmupMs: 1_000, errorRatio: 0.1, minRequests: 10, intervalMs: 500 };

function trafficOn(url: (i: number) => string): Traffic {
  return new Traffic([0, 1].flatMap((i) => [{ url: `${url(i)}/api/videos` }, { url: `${url(i)}/api/videos/v-1001` }]), 80);
}

interface Layout {
  root: string;
  appDir: string;
  registryPath: string;
  good: string;
}

async function layout(prefix: string): Promise<Layout> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { root, appDir: path.join(root, 'app'), registryPath: path.join(root, 'deploys.jsonl'), good: await makeRelease(root, 'good', 'good') };
}

function targetOf(sys: TestSystem, l: Layout): DeployTarget {
  return { pm2Home: sys.config.pm2.home!, service: sys.service, basePort: sys.basePort, instances: 2, appDir: l.appDir, registryPath: l.registryPath };
}

/** A system whose demo runs through `<appDir>/current`, release 1.0.0 deployed first with `zt deploy`. */
function releasedSystem(l: Layout, detectors: Record<string, unknown>) {
  return startTestSystem({
    appDir: l.appDir,
    actions: { deploy: { appDir: l.appDir, registryPath: l.registryPath } },
    detectors,
    config: { governor: DRILL_GOVERNOR },
    beforeDemoStart: async (config) => {
      const svc = config.services[0]!;
      await ztDeploy({ pm2Home: config.pm2.home!, service: svc.name, basePort: svc.basePort, instances: 2, appDir: l.appDir, registryPath: l.registryPath }, l.good, '1.0.0');
    },
  });
}

/** PM2 alone through the same kind of release layout, release 1.0.0 deployed first. */
async function releasedPm2Alone(l: Layout): Promise<{ env: Pm2Alone; target: DeployTarget }> {
  let target!: DeployTarget;
  const env = await Pm2Alone.start({
    appDir: l.appDir,
    beforeStart: async ({ home, service, basePort }) => {
      target = { pm2Home: home, service, basePort, instances: 2, appDir: l.appDir, registryPath: l.registryPath };
      await ztDeploy(target, l.good, '1.0.0');
    },
  });
  return { env, target };
}

export async function traffic(ctx: FamilyContext): Promise<void> {
  const l = await layout('zt-drill-traffic-');
  try {
    await using(
      () => releasedSystem(l, { routes: ROUTES, deploy: { ...DEPLOY, registryPath: l.registryPath } }),
      async (sys) => {
        await sys.startSentinel();
        const load = trafficOn((i) => sys.instanceUrl(i));
        try {
          await runEach(
            ctx,
            {
              'route-timeout': (spec, run) =>
                incidentDrill({
                  sys,
                  spec,
                  run,
                  group: 'traffic',
                  inject: async () => (await injectFault(sys.instanceUrl(run % 2), { fault: 'slow', ms: 600 }), Date.now()),
                }),
              'bad-deploy': async (spec, run) => {
                const bad = await makeRelease(l.root, `fails-requests-${run}`, 'fails-requests');
                return incidentDrill({
                  sys,
                  spec,
                  run,
                  group: 'traffic',
                  inject: async () => (await ztDeploy(targetOf(sys, l), bad, `2.0.${run}-errors`), Date.now()),
                });
              },
            },
            () => quiet(sys, 2, 3_000),
            async () => {
              await Promise.all([0, 1].map((i) => clearFaults(sys.instanceUrl(i), { timeoutMs: 500 }).catch(() => undefined)));
              await restartAll(sys);
            },
          );
        } finally {
          await load.stop();
        }
      },
    );
    await runBaselines(ctx, () => Pm2Alone.start(), {
      'route-timeout': (env) => env.measure(async () => (await injectFault(env.instanceUrl(0), { fault: 'slow', ms: 600 }), Date.now()), undefined, ctx.baselineLimitMs),
    });
    if (ctx.baseline && ctx.specs.some((s) => s.id === 'bad-deploy')) {
      const lb = await layout('zt-drill-traffic-pm2-');
      try {
        let target!: DeployTarget;
        await runBaselines(
          ctx,
          async () => {
            const started = await releasedPm2Alone(lb);
            target = started.target;
            return started.env;
          },
          {
            'bad-deploy': async (env) => {
              const bad = await makeRelease(lb.root, 'fails-requests', 'fails-requests');
              return env.measure(async () => (await ztDeploy(target, bad, '2.0.0-errors'), Date.now()), undefined, ctx.baselineLimitMs);
            },
          },
        );
      } finally {
        await rm(lb.root, { recursive: true, force: true });
      }
    }
  } finally {
    await rm(l.root, { recursive: true, force: true });
  }
}

export async function deploy(ctx: FamilyContext): Promise<void> {
  const l = await layout('zt-drill-deploy-');
  try {
    await using(
      () => releasedSystem(l, {}),
      async (sys) => {
        await sys.startSentinel();
        await runEach(
          ctx,
          {
            'forced-rollback': async (spec, run) => {
              const bad = await makeRelease(l.root, `dies-${run}`, 'dies-on-start');
              return incidentDrill({
                sys,
                spec,
                run,
                group: 'availability',
                inject: async () => (await ztDeploy(targetOf(sys, l), bad, `3.0.${run}-dies`), Date.now()),
              });
            },
          },
          () => quiet(sys, 2, 3_000),
          () => restartAll(sys),
        );
      },
    );
    const lb = await layout('zt-drill-deploy-pm2-');
    try {
      let target!: DeployTarget;
      await runBaselines(
        ctx,
        async () => {
          const started = await releasedPm2Alone(lb);
          target = started.target;
          return started.env;
        },
        {
          'forced-rollback': async (env) => {
            const bad = await makeRelease(lb.root, 'dies', 'dies-on-start');
            return env.measure(async () => (await ztDeploy(target, bad, '3.0.0-dies'), Date.now()), undefined, ctx.baselineLimitMs);
          },
        },
      );
    } finally {
      await rm(lb.root, { recursive: true, force: true });
    }
  } finally {
    await rm(l.root, { recursive: true, force: true });
  }
}
