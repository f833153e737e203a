// CPU spike: an online instance at or above `percent` CPU for `sustainedMs` without a break. PM2 reports
// each process's CPU averaged since its previous sample, so a streak of readings is a streak of time.
import type { DetectorFactory, Observation } from '../detector';
import { nextStreak, isSustained, noStreak, type CpuStreak } from './cpu-streak';
import { dampingOr, WINDOWED_DAMPING } from './detector-damping';
import { PerProcess } from './per-process';

export const cpuDetector: DetectorFactory = ({ service, pm2 }) => {
  const cfg = service.detectors.cpu;
  if (!cfg.enabled) return null;
  const streaks = new PerProcess<CpuStreak>(noStreak);

  return {
    name: 'cpu',
    intervalMs: cfg.intervalMs,
    damping: dampingOr(cfg.damping, WINDOWED_DAMPING),
    async observe() {
      const online = (await pm2.listApp(service.name)).filter((p) => p.status === 'online' && p.pid > 0);
      streaks.keepOnly(new Set(online.map((p) => p.instance)));
      const now = Date.now();
      return online.map((p): Observation => {
        const streak = nextStreak(streaks.get(p.instance, p.pid), p.cpuPercent, now, cfg.percent);
        streaks.set(p.instance, p.pid, streak);
        const failing = isSustained(streak, now, cfg.sustainedMs);
        const who = `${service.name} instance ${p.instance} (pid ${p.pid})`;
        return {
          subject: `instance:${p.instance}`,
          instance: p.instance,
          failing,
          alertName: 'CpuSpike',
          summary: failing
            ? `${who} has used ≥ ${cfg.percent}% CPU for ${Math.round((now - streak.highSince!) / 1000)} s (now ${p.cpuPercent}%).`
            : `${who} CPU ${p.cpuPercent}% is not a sustained spike.`,
          labels: { cpuPercent: String(p.cpuPercent) },
        };
      });
    },
  };
};
