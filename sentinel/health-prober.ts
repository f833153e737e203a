// The health prober: probes every instance of every watched service and raises an alert only after
// `failuresToAlert` consecutive failures (one blip never opens an incident), naming what it saw —
// a timeout (hung) is not a refusal (down). Recovery after an alert sends the matching resolved alert.
import type { SentinelConfig, ServiceConfig } from '../config/schema';
import { instanceHealthUrl } from '../config/services';
import type { Logger } from '../observability/logger';
import type { Pm2Client } from '../pm2/client';
import { probeHealth, type ProbeResult } from '../probes/http-health';
import type { AlertInput } from '../signals/alert';
import type { AlertSink } from './alert-sink';

const ALERT_NAMES: Record<Exclude<ProbeResult['outcome'], 'ok'>, string> = {
  timeout: 'InstanceHealthTimeout',
  refused: 'InstanceRefusingConnections',
  unhealthy: 'InstanceUnhealthy',
  error: 'InstanceHealthError',
};

interface Streak {
  failures: number;
  since: number;
  alerted: { name: string; at: number } | null;
}

/** Pure streak bookkeeping, so damping is unit-testable without sockets. */
export function nextStreak(
  streak: Streak,
  result: ProbeResult,
  now: number,
  cfg: Pick<SentinelConfig, 'failuresToAlert' | 'holdDownMs'>,
): { streak: Streak; fire: string | null; resolve: string | null } {
  if (result.outcome === 'ok') {
    const resolve = streak.alerted?.name ?? null;
    return { streak: { failures: 0, since: now, alerted: null }, fire: null, resolve };
  }
  const failures = streak.failures + 1;
  const since = streak.failures === 0 ? now : streak.since;
  const name = ALERT_NAMES[result.outcome];
  const quiet = streak.alerted !== null && now - streak.alerted.at < cfg.holdDownMs;
  if (failures >= cfg.failuresToAlert && !quiet) {
    return { streak: { failures, since, alerted: { name, at: now } }, fire: name, resolve: null };
  }
  return { streak: { failures, since, alerted: streak.alerted }, fire: null, resolve: null };
}

export function startHealthProber(opts: {
  pm2: Pm2Client;
  services: ServiceConfig[];
  config: SentinelConfig;
  sink: AlertSink;
  logger: Logger;
}): { stop(): Promise<void> } {
  const { config } = opts;
  const streaks = new Map<string, Streak>();
  let stopped = false;

  const alert = (service: ServiceConfig, instance: number, name: string, status: 'firing' | 'resolved', since: number, detail: string): AlertInput => ({
    source: 'sentinel',
    service: service.name,
    name,
    status,
    instance,
    startsAt: new Date(since).toISOString(),
    summary: detail,
    labels: { detector: 'health-prober', url: instanceHealthUrl(service, instance) },
    fingerprint: `sentinel:${service.name}:${instance}:${name}`,
  });

  async function probeService(service: ServiceConfig): Promise<void> {
    const processes = await opts.pm2.listApp(service.name);
    // Only instances PM2 believes are online: the PM2 event watcher owns exits and errored processes.
    const online = processes.filter((p) => p.status === 'online');
    const results = await Promise.all(online.map((p) => probeHealth(instanceHealthUrl(service, p.instance), config.probeTimeoutMs)));
    const alerts: AlertInput[] = [];
    online.forEach((p, i) => {
      const result = results[i]!;
      const id = `${service.name}:${p.instance}`;
      const before = streaks.get(id) ?? { failures: 0, since: Date.now(), alerted: null };
      const { streak, fire, resolve } = nextStreak(before, result, Date.now(), config);
      streaks.set(id, streak);
      if (fire) {
        const detail = `${service.name} instance ${p.instance} (pm_id ${p.pmId}) health check ${result.outcome}${result.httpStatus ? ` (HTTP ${result.httpStatus})` : ''} ${streak.failures} times in a row while PM2 reports it online.`;
        alerts.push(alert(service, p.instance, fire, 'firing', streak.since, detail));
      }
      if (resolve) alerts.push(alert(service, p.instance, resolve, 'resolved', before.since, `${service.name} instance ${p.instance} answers its health check again.`));
    });
    if (alerts.length) await opts.sink(alerts);
  }

  async function loop(service: ServiceConfig): Promise<void> {
    while (!stopped) {
      const started = Date.now();
      try {
        await probeService(service);
      } catch (err) {
        opts.logger.warn({ err, service: service.name }, 'health probe round failed');
      }
      const wait = Math.max(0, config.probeIntervalMs - (Date.now() - started));
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  const loops = opts.services.map((s) => loop(s));
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
