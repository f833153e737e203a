import type { ChildProcess } from 'node:child_process';

const KILL_GRACE_MS = 5_000;

/** Resolves when `child` has exited (or failed to spawn), with a phrase saying how. */
export function exitOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(describeExit(child.exitCode, child.signalCode));
      return;
    }
    child.once('error', (error) => resolve(`could not start: ${error.message}`));
    child.once('exit', (code, signal) => resolve(describeExit(code, signal)));
  });
}

/**
 * SIGTERM first so the server can close its SQLite file cleanly; SIGKILL if it has not exited within 5 s.
 * Resolves only once the process is gone, so a caller may reuse its ports and db file right away.
 */
export async function terminate(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  const escalate = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  try {
    await exited;
  } finally {
    clearTimeout(escalate);
  }
}

/**
 * Signals `pid` when this process exits, so no dev server outlives the process that started it (a crash, a test
 * runner calling process.exit). 'exit' handlers must be synchronous, so this sends the signal and cannot wait.
 * Ctrl-C needs no handler: the child shares our process group and receives the SIGINT itself.
 * Returns the unregister function.
 */
export function signalOnParentExit(pid: number): () => void {
  const onExit = () => {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  return () => process.removeListener('exit', onExit);
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}
