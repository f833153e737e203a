// The load spike: a hung demo instance is detected by the sentinel and remediated while an alert storm of
// 10,000 alerts for five other configured services (not running: their incidents find no process and go
// to humans, as a storm about a dead fleet would) arrives through the same ingest path the webhooks use,
// from the moment the hang's incident opens, at 2,000 alerts/s with up to 64 deliveries in flight. Each run is paired with the same hang
// without the storm on the same system, so the recovery times compare like for like.
import { injectFault } from '../demo/faults';
import { alertSchema, type Alert } from '../signals/alert';
import { startTestSystem, type TestSystem } from '../test/helpers/system';
import { DRILL_GOVERNOR } from './governor';
import { incidentDrill, quiet, restartAll, runEach, using } from './harness';
import type { DrillRun, DrillSpec, FamilyContext } from './types';

export const STORM_ALERTS = 10_000;
const STORM_SERVICES = ['orders-api', 'billing-worker', 'search-api', 'media-transcoder', 'notify-api'];
const STORM_NAMES = ['InstanceUnhealthy', 'InstanceHealthTimeout', 'ProcessExited', 'MemoryLeak', 'CpuSpike', 'RouteTimeout', 'UpstreamFailure'];
const CONCURRENCY = 64;

function stormAlert(k: number, startsAt: string): Alert {
  const service = STORM_SERVICES[k % STORM_SERVICES.length]!;
  const name = STORM_NAMES[Math.floor(k / STORM_SERVICES.length) % STORM_NAMES.length]!;
  const instance = k % 2;
  return alertSchema.parse({
    source: 'alertmanager',
    service,
    name,
    status: 'firing',
    instance,
    summary: `${service} instance ${instance}: ${name}`,
    startsAt,
    fingerprint: `${service}-${name}-${instance}`,
  });
}

/**
 * Sends the storm through the ingest path at `perSecond` (the ingress's target rate, 2,000/s: 10,000 alerts
 * over 5 s, which covers the hang's diagnosis, restart and verification); resolves with what it measured.
 */
async function storm(sys: TestSystem, perSecond = 2_000): Promise<{ alerts: number; failed: number; seconds: number; alertsPerSecond: number }> {
  const startsAt = new Date().toISOString();
  const started = Date.now();
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < STORM_ALERTS) {
        const k = next++;
        const due = started + (k * 1000) / perSecond;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        await sys.ingest.ingest([stormAlert(k, startsAt)]).catch(() => void failed++);
      }
    }),
  );
  await sys.ingest.flush();
  const seconds = (Date.now() - started) / 1000;
  return { alerts: STORM_ALERTS, failed, seconds: Math.round(seconds * 100) / 100, alertsPerSecond: Math.round(STORM_ALERTS / seconds) };
}

export async function loadSpike(ctx: FamilyContext): Promise<void> {
  await using(
    () =>
      startTestSystem({
        extraServices: STORM_SERVICES.map((name, i) => ({ name, basePort: 61_000 + 2 * i, instances: 2 })),
        config: { governor: DRILL_GOVERNOR },
      }),
    async (sys) => {
      await sys.startSentinel();
      // The storm starts once the hang's incident is open: it lands while the hang is being remediated.
      const hang = (spec: DrillSpec, run: number, during?: () => Promise<unknown>) =>
        incidentDrill({
          sys,
          spec,
          run,
          group: 'availability',
          inject: async () => {
            await injectFault(sys.instanceUrl(run % 2), { fault: 'hang' });
            return Date.now();
          },
          ...(during ? { afterOpen: async () => void during() } : {}),
        });
      await runEach(
        ctx,
        {
          'load-spike': async (spec, run): Promise<DrillRun> => {
            const calm = await hang(spec, run);
            console.log(`  load-spike #${run} without the storm: ${calm.outcome}, recover ${calm.recoverSeconds ?? '—'} s`);
            await quiet(sys, 2, 3_000);
            let measured: Awaited<ReturnType<typeof storm>> | null = null;
            const stormy = await hang(spec, run, async () => (measured = await storm(sys)));
            // The storm may outlast the incident; its numbers are wanted either way.
            while (measured === null) await new Promise((r) => setTimeout(r, 200));
            stormy.extra = {
              ...stormy.extra,
              storm: measured,
              withoutStorm: { outcome: calm.outcome, detectSeconds: calm.detectSeconds, recoverSeconds: calm.recoverSeconds, actions: calm.actions, passed: calm.passed },
            };
            if (!calm.passed) stormy.why += `; the paired run without the storm did not pass: ${calm.why}`;
            if ((measured as { failed: number }).failed > 0) {
              stormy.passed = false;
              stormy.why += `; ${(measured as { failed: number }).failed} storm alerts were not accepted`;
            }
            return stormy;
          },
        },
        () => quiet(sys, 2, 3_000),
        () => restartAll(sys),
      );
    },
  );
}
