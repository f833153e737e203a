// Node reboot: the host's boot id (new on every boot) differs from the one this host had when the sentinel
// last ran (kept in `stateFile`) or read at start, or the PM2 daemon's pid (new on every daemon start; PM2
// writes it to <PM2_HOME>/pm2.pid) differs from what this detector read when it started.
// Either means every process of the service was started again by something other than a remediation.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DampingConfig } from '../../config/schema';
import type { DetectorFactory, Observation } from '../detector';
import { ChangedSinceStart } from './changed-since-start';
import { statePath } from '../../config/paths';
import { dampingOr } from './detector-damping';
import { readLastBoot, writeLastBoot } from './last-boot';

/**
 * A reboot is a fact that stays true until this detector restarts: alert at once, and only once a day
 * rather than again after every short hold-down.
 */
const REBOOT_DAMPING: DampingConfig = { samples: 1, failures: 1, holdDownMs: 24 * 60 * 60_000 };

async function readTrimmed(file: string): Promise<string | null> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text === '' ? null : text;
  } catch (err) {
    // No pid file while the daemon is down (or being restarted): nothing to compare yet.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export const rebootDetector: DetectorFactory = ({ service, pm2 }) => {
  const cfg = service.detectors.reboot;
  if (!cfg.enabled) return null;
  const stateFile = statePath(cfg.stateFile);
  let bootId: ChangedSinceStart | null = null;
  const daemonPid = new ChangedSinceStart();
  const pidFile = path.join(pm2.home, 'pm2.pid');

  return {
    name: 'reboot',
    intervalMs: cfg.intervalMs,
    damping: dampingOr(cfg.damping, REBOOT_DAMPING),
    async observe() {
      const observations: Observation[] = [];
      const current = await readTrimmed(cfg.bootIdPath);
      if (!bootId && current !== null) {
        bootId = new ChangedSinceStart(await readLastBoot(stateFile));
        await writeLastBoot(stateFile, current);
      }
      const boot = bootId?.check(current) ?? null;
      if (boot) {
        observations.push({
          subject: 'node',
          failing: boot.changed,
          alertName: 'NodeRebooted',
          summary: boot.changed
            ? `The node running ${service.name} rebooted: its boot id changed from ${boot.first}.`
            : `The node running ${service.name} has not rebooted since the sentinel last looked.`,
          labels: { bootIdPath: cfg.bootIdPath },
        });
      }
      const daemon = daemonPid.check(await readTrimmed(pidFile));
      if (daemon) {
        observations.push({
          subject: 'pm2-daemon',
          failing: daemon.changed,
          alertName: 'Pm2DaemonRestarted',
          summary: daemon.changed
            ? `The PM2 daemon running ${service.name} restarted: its pid changed from ${daemon.first} (${pidFile}).`
            : `The PM2 daemon running ${service.name} is the one the sentinel started with (pid ${daemon.first}).`,
          labels: { pm2Home: pm2.home },
        });
      }
      return observations;
    },
  };
};
