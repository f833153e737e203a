// Escalation drills: real faults that a restart would seem to fix, where the gate must hand over to a human
// instead — a service tagged billing, a security signal in the instance's own error log, a diagnosis too
// unsure to act on (an instance stopped in PM2, maybe on purpose, seen only through Prometheus'
// InstanceDown alert), and a fault that a restart cannot fix (two failed attempts, then frozen). The
// sentinel detects the hangs and the crash loop; InstanceDown comes in as Alertmanager would send it, since
// the sentinel deliberately raises nothing for a process PM2 was asked to stop. After each run a human
// (operator `drill`) resolves the incident and the fault is cleared.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { clearFaults, clearPersistentFaults, injectFault, setPersistentFault } from '../demo/faults';
import { alertSchema } from '../signals/alert';
import { startTestSystem, type TestSystem } from '../test/helpers/system';
import { DRILL_GOVERNOR } from './governor';
import { incidentDrill, quiet, restartAll, runEach, using } from './harness';
import type { DrillRun, DrillSpec, FamilyContext } from './types';

const PM2_BIN = path.resolve(__dirname, '../node_modules/.bin/pm2');

/** `pm2 stop <pm_id>` as an operator types it, against the system's own daemon. */
async function pm2Stop(home: string, pmId: number): Promise<void> {
  await promisify(execFile)(PM2_BIN, ['stop', String(pmId)], { env: { ...process.env, PM2_HOME: home }, timeout: 30_000 });
}

const TLS_ERROR = 'TLS handshake with payments.internal:443 failed: certificate has expired (CERT_HAS_EXPIRED)';

async function recover(sys: TestSystem): Promise<void> {
  await clearPersistentFaults(sys.stateDir);
  await Promise.all([0, 1].map((i) => clearFaults(sys.instanceUrl(i), { timeoutMs: 500 }).catch(() => undefined)));
  await restartAll(sys);
}

/** After the human resolved it, the fault goes: the drill's own clean-up, not part of the measurement. */
async function thenRecover(sys: TestSystem, r: Promise<DrillRun>): Promise<DrillRun> {
  const run = await r;
  await recover(sys);
  return run;
}

function drills(sys: TestSystem): Record<string, (spec: DrillSpec, run: number) => Promise<DrillRun>> {
  const hang = (spec: DrillSpec, run: number, before?: (i: number) => Promise<unknown>) =>
    thenRecover(
      sys,
      incidentDrill({
        sys,
        spec,
        run,
        group: 'availability',
        inject: async () => {
          const i = run % 2;
          await before?.(i);
          await injectFault(sys.instanceUrl(i), { fault: 'hang' });
          return Date.now();
        },
      }),
    );
  return {
    'esc-billing': (spec, run) => hang(spec, run),
    'esc-security': (spec, run) => hang(spec, run, (i) => injectFault(sys.instanceUrl(i), { fault: 'log-error', message: TLS_ERROR })),
    'esc-low-confidence': (spec, run) =>
      thenRecover(
        sys,
        incidentDrill({
          sys,
          spec,
          run,
          group: 'availability',
          inject: async () => {
            const i = run % 2;
            const p = (await sys.pm2.listApp(sys.service)).find((x) => x.instance === i);
            if (!p) throw new Error(`instance ${i} not in PM2`);
            await pm2Stop(sys.config.pm2.home!, p.pmId);
            const at = Date.now();
            // What Prometheus' shipped InstanceDown rule sends once the scrape fails (its `for: 1m` not waited).
            await sys.ingest.ingest([
              alertSchema.parse({
                source: 'alertmanager',
                service: sys.service,
                name: 'InstanceDown',
                status: 'firing',
                instance: i,
                labels: { group: 'availability' },
                summary: `${sys.service} instance ${i} (${sys.instanceUrl(i)}) cannot be scraped`,
                startsAt: new Date(at).toISOString(),
                fingerprint: `drill-instance-down-${i}-${run}`,
              }),
            ]);
            return at;
          },
        }),
      ),
    'esc-fails-twice': (spec, run) =>
      thenRecover(
        sys,
        incidentDrill({
          sys,
          spec,
          run,
          group: 'availability',
          frozenMs: 6_000,
          inject: async () => {
            const i = run % 2;
            await setPersistentFault(sys.stateDir, i, { fault: 'crash-loop', delayMs: 300 });
            await injectFault(sys.instanceUrl(i), { fault: 'crash' });
            return Date.now();
          },
        }),
      ),
  };
}

export async function escalations(ctx: FamilyContext): Promise<void> {
  const billing = ctx.specs.filter((s) => s.id === 'esc-billing');
  // The security line stays in the instance's error log for the catalog's log window (10 min), where every
  // later incident of that system would read it: that drill runs last.
  const plain = ctx.specs.filter((s) => s.id !== 'esc-billing').sort((a, b) => Number(a.id === 'esc-security') - Number(b.id === 'esc-security'));
  for (const [specs, tags] of [
    [plain, undefined],
    [billing, ['billing']],
  ] as const) {
    if (specs.length === 0) continue;
    await using(
      () => startTestSystem({ ...(tags ? { tags: [...tags] } : {}), config: { governor: DRILL_GOVERNOR } }),
      async (sys) => {
        await sys.startSentinel();
        await runEach({ ...ctx, specs: [...specs] }, drills(sys), () => quiet(sys, 2, 3_000), () => recover(sys));
      },
    );
  }
}
