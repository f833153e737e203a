// Memory leak: keeps each online instance's RSS over the configured window and asks memory-trend.ts
// whether it leaks. A restarted instance (new pid) starts a new history: its memory starts over too.
import type { DetectorFactory, Observation } from '../detector';
import { dampingOr, WINDOWED_DAMPING } from './detector-damping';
import { judgeMemory, trimToWindow, type MemoryVerdict, type RssSample } from './memory-trend';
import { PerProcess } from './per-process';

const MB = 1024 * 1024;

export const memoryDetector: DetectorFactory = ({ service, pm2 }) => {
  const cfg = service.detectors.memory;
  if (!cfg.enabled) return null;
  const histories = new PerProcess<RssSample[]>(() => []);

  return {
    name: 'memory',
    intervalMs: cfg.intervalMs,
    damping: dampingOr(cfg.damping, WINDOWED_DAMPING),
    async observe() {
      const online = (await pm2.listApp(service.name)).filter((p) => p.status === 'online' && p.pid > 0);
      histories.keepOnly(new Set(online.map((p) => p.instance)));
      const now = Date.now();
      return online.map((p): Observation => {
        const history = trimToWindow([...histories.get(p.instance, p.pid), { at: now, mb: p.memoryBytes / MB }], cfg.windowMs);
        histories.set(p.instance, p.pid, history);
        const verdict = judgeMemory(history, cfg);
        const rssMb = p.memoryBytes / MB;
        return {
          subject: `instance:${p.instance}`,
          instance: p.instance,
          failing: verdict.leaking,
          alertName: 'MemoryLeak',
          summary: describe(service.name, p.instance, p.pid, rssMb, verdict, cfg.windowMs, cfg.maxRssMb),
          labels: { rssMb: rssMb.toFixed(1), ...(verdict.slopeMbPerMinute !== null ? { growthMbPerMinute: verdict.slopeMbPerMinute.toFixed(1) } : {}) },
        };
      });
    },
  };
};

function describe(service: string, instance: number, pid: number, rssMb: number, v: MemoryVerdict, windowMs: number, maxRssMb?: number): string {
  const who = `${service} instance ${instance} (pid ${pid})`;
  if (v.reason === 'growth') {
    return `${who} RSS grew steadily by ${v.slopeMbPerMinute!.toFixed(1)} MB/min over ${Math.round(windowMs / 1000)} s (fit r² ${v.r2!.toFixed(2)}), now ${rssMb.toFixed(0)} MB.`;
  }
  if (v.reason === 'ceiling') return `${who} RSS ${rssMb.toFixed(0)} MB stayed above the ${maxRssMb} MB ceiling.`;
  return `${who} RSS ${rssMb.toFixed(0)} MB shows no sustained growth.`;
}
