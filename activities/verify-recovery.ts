// Verification: the instances must answer their health check, stay online and not restart, for a
// whole window. One good probe is not recovery; a restart inside the window means it is still dying.
import { Context } from '@temporalio/activity';
import { findService, instanceHealthUrl } from '../config/services';
import { probeHealth } from '../probes/http-health';
import type { Verdict, VerifyRequest } from './types';
import { sleep, type ActivityDeps } from './deps';

export async function verifyRecovery({ config, pm2 }: ActivityDeps, req: VerifyRequest): Promise<Verdict> {
  const service = findService(config, req.service);
  const { windowMs, intervalMs, graceMs, probeTimeoutMs } = config.policy.verification;
  const started = Date.now();
  const deadline = started + graceMs + windowMs;
  const baseline = new Map<number, number>();
  let healthySince: number | null = null;
  let last = 'no observation yet';

  for (let round = 1; ; round++) {
    const all = await pm2.listApp(service.name);
    const targets = req.pmIds.length ? all.filter((p) => req.pmIds.includes(p.pmId)) : all;
    if (targets.length === 0) return { healthy: false, summary: `no ${service.name} instance is running in PM2` };
    const probes = await Promise.all(targets.map((p) => probeHealth(instanceHealthUrl(service, p.instance), probeTimeoutMs)));

    for (const p of targets) {
      const first = baseline.get(p.pmId);
      if (first === undefined) baseline.set(p.pmId, p.restarts);
      else if (p.restarts > first) {
        return {
          healthy: false,
          summary: `pm_id ${p.pmId} restarted ${p.restarts - first} time(s) during verification (status ${p.status}, exit code ${p.exitCode ?? 'unknown'})`,
        };
      }
    }
    const sick = targets.filter((p, i) => p.status !== 'online' || probes[i]!.outcome !== 'ok');
    last = targets
      .map((p, i) => `pm_id ${p.pmId} ${p.status}/${probes[i]!.outcome}${probes[i]!.httpStatus ? ` ${probes[i]!.httpStatus}` : ''}`)
      .join(', ');
    const now = Date.now();
    if (sick.length === 0) {
      healthySince ??= now;
      if (now - healthySince >= windowMs) {
        return { healthy: true, summary: `${targets.length} instance(s) online and healthy for ${((now - healthySince) / 1000).toFixed(1)} s with no restarts (${last})` };
      }
    } else {
      healthySince = null;
    }
    if (now >= deadline) {
      return { healthy: false, summary: `not healthy for a full ${windowMs / 1000} s window within ${((now - started) / 1000).toFixed(1)} s: ${last}` };
    }
    Context.current().heartbeat({ round, last });
    await sleep(intervalMs);
  }
}
