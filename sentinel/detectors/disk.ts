// Disk pressure: each configured path's filesystem, judged on free space and free inodes. Runs only when
// the service names paths. A path that cannot be read is logged and skipped, not reported as full:
// a typo in the config is not a disk incident.
import type { DampingConfig } from '../../config/schema';
import type { DetectorFactory, Observation } from '../detector';
import { dampingOr } from './detector-damping';
import { diskShortOf, diskUsage } from './disk-usage';

/** Disk fills slowly and a momentary dip (a temp file) is not pressure: three readings in a row. */
const DISK_DAMPING: DampingConfig = { samples: 3, failures: 3, holdDownMs: 300_000 };

export const diskDetector: DetectorFactory = ({ service, logger }) => {
  const cfg = service.detectors.disk;
  if (!cfg) return null;

  return {
    name: 'disk',
    intervalMs: cfg.intervalMs,
    damping: dampingOr(cfg.damping, DISK_DAMPING),
    async observe() {
      const observations: Observation[] = [];
      for (const path of cfg.paths) {
        let usage;
        try {
          usage = await diskUsage(path);
        } catch (err) {
          logger.warn({ err, path, service: service.name }, 'disk detector cannot stat path');
          continue;
        }
        const short = diskShortOf(usage, cfg);
        const free = `${usage.freePercent.toFixed(1)}% space and ${usage.freeInodesPercent === null ? 'unknown' : `${usage.freeInodesPercent.toFixed(1)}%`} inodes free`;
        observations.push({
          subject: `path:${path}`,
          failing: short.length > 0,
          alertName: 'DiskPressure',
          summary: short.length
            ? `${path} (used by ${service.name}) is short of ${short.join(' and ')}: ${free} (floors ${cfg.minFreePercent}% / ${cfg.minFreeInodesPercent}%).`
            : `${path} (used by ${service.name}) has ${free}.`,
          labels: { path, freePercent: usage.freePercent.toFixed(1), ...(usage.freeInodesPercent !== null ? { freeInodesPercent: usage.freeInodesPercent.toFixed(1) } : {}) },
        });
      }
      return observations;
    },
  };
};
