import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProvisionLog } from './log';

const POLL_MS = 1_000;
const WAIT_HEARTBEAT_MS = 15_000;

/**
 * Runs `fn` while holding a lock file that names our pid, so `npm start`, the test runner and CI starting at the
 * same moment wait for one `go install` instead of each spending minutes on their own. It is an optimisation only:
 * correctness comes from each build installing into its own staging directory and renaming into place.
 */
export async function withBuildLock<T>(lockPath: string, log: ProvisionLog, fn: () => Promise<T>): Promise<T> {
  const startedWaiting = Date.now();
  let lastHeartbeat = 0;
  for (;;) {
    const outcome = tryAcquire(lockPath);
    if (outcome !== 'held-by-other') break;
    const holder = readHolderPid(lockPath);
    if (holder === null || !isAlive(holder)) {
      // The builder died (killed CI job, Ctrl-C) or the lock vanished meanwhile: a dead builder's lock would
      // otherwise block every later start.
      fs.rmSync(lockPath, { force: true });
      continue;
    }
    if (Date.now() - lastHeartbeat >= WAIT_HEARTBEAT_MS) {
      const waited = Math.round((Date.now() - startedWaiting) / 1000);
      log.info(`another process (pid ${holder}) is building the Temporal CLI; waiting for it (${waited} s)…`);
      lastHeartbeat = Date.now();
    }
    await sleep(POLL_MS);
  }
  try {
    return await fn();
  } finally {
    releaseIfOurs(lockPath);
  }
}

type AcquireOutcome = 'acquired' | 'held-by-other' | 'unsupported';

function tryAcquire(lockPath: string): AcquireOutcome {
  // Write the pid first and hard-link it into place: the lock appears atomically with its content, so a
  // waiter never reads an empty lock and mistakes a live builder for a dead one.
  const ours = `${lockPath}.${process.pid}`;
  fs.writeFileSync(ours, String(process.pid));
  try {
    fs.linkSync(ours, lockPath);
    return 'acquired';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'held-by-other';
    // A file system without hard links: build unlocked, the staging rename still keeps the binary whole.
    return 'unsupported';
  } finally {
    fs.rmSync(ours, { force: true });
  }
}

function readHolderPid(lockPath: string): number | null {
  try {
    const pid = Number(fs.readFileSync(lockPath, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseIfOurs(lockPath: string): void {
  if (readHolderPid(lockPath) === process.pid) fs.rmSync(lockPath, { force: true });
}
