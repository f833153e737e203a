// Failed startup: an instance that has not answered its health check within graceMs of a (re)start while
// PM2 keeps restarting it, gave up on it, or never brought it online. The judgement is startup-episode.ts;
// this file gathers PM2's view and one health probe per online instance.
import type { DampingConfig } from '../../config/schema';
import { instanceHealthUrl } from '../../config/services';
import { probeHealth } from '../../probes/http-health';
import type { DetectorFactory, Observation } from '../detector';
import { dampingOr } from './detector-damping';
import { failedStartup, nextEpisode, noEpisode, type StartupEpisode } from './startup-episode';

/** graceMs already waits out a normal start; two rounds in a row keep one odd PM2 listing from alerting. */
const STARTUP_DAMPING: DampingConfig = { samples: 2, failures: 2, holdDownMs: 60_000 };

export const startupDetector: DetectorFactory = ({ service, pm2, sentinel }) => {
  const cfg = service.detectors.startup;
  if (!cfg.enabled) return null;
  const episodes = new Map<number, StartupEpisode>();

  return {
    name: 'startup',
    intervalMs: cfg.intervalMs,
    damping: dampingOr(cfg.damping, STARTUP_DAMPING),
    async observe() {
      const processes = await pm2.listApp(service.name);
      const healthy = await Promise.all(
        processes.map(async (p) =>
          p.status === 'online' ? (await probeHealth(instanceHealthUrl(service, p.instance), sentinel.probeTimeoutMs)).outcome === 'ok' : false,
        ),
      );
      const now = Date.now();
      for (const instance of episodes.keys()) if (!processes.some((p) => p.instance === instance)) episodes.delete(instance);
      return processes.map((p, i): Observation => {
        const episode = nextEpisode(episodes.get(p.instance) ?? noEpisode(), {
          at: now,
          pid: p.pid,
          status: p.status,
          restarts: p.restarts,
          startedAt: p.startedAt,
          healthy: healthy[i]!,
        });
        episodes.set(p.instance, episode);
        const failing = failedStartup(episode, now, cfg.graceMs);
        const who = `${service.name} instance ${p.instance} (pm_id ${p.pmId})`;
        return {
          subject: `instance:${p.instance}`,
          instance: p.instance,
          failing,
          alertName: 'FailedStartup',
          summary: failing
            ? `${who} has not answered its health check for ${Math.round((now - episode.openSince!) / 1000)} s since it (re)started; PM2 status ${p.status}, ${p.restarts} restarts.`
            : `${who} is ${p.status}${healthy[i] ? ' and healthy' : ''}.`,
          labels: { status: p.status, restarts: String(p.restarts) },
        };
      });
    },
  };
};
