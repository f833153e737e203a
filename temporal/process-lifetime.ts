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

/** Pids of the dev servers we run that must not outlive this process. */
const ownedChildren = new Set<number>();
const FATAL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Makes `pid` receive SIGTERM when this process goes away, so no dev server outlives the process that started
 * it: on 'exit' (normal end, process.exit from a test runner) and on SIGINT/SIGTERM/SIGHUP, which otherwise
 * kill Node without any 'exit' event when nobody handles them. Only SIGKILL of the parent escapes; nothing
 * in-process can catch that.
 * Returns the unregister function; call it once the child has exited, because its pid may be reused.
 */
export function stopWithParent(pid: number): () => void {
  if (ownedChildren.size === 0) installHooks();
  ownedChildren.add(pid);
  return () => {
    ownedChildren.delete(pid);
    if (ownedChildren.size === 0) uninstallHooks();
  };
}

function signalOwnedChildren(): void {
  for (const pid of ownedChildren) {
    try {
      process.kill(pid, 'SIGTERM'); // handlers must be synchronous: signal now, the server shuts down on its own
    } catch {
      // already gone
    }
  }
}

function onFatalSignal(signal: NodeJS.Signals): void {
  // Another handler means the entry point shuts down gracefully (workers drain against a live server) and
  // calls stop() itself; the 'exit' hook still covers it if it exits without doing so.
  if (process.listenerCount(signal) > 1) return;
  // We are the only listener, and must not change what the signal does to this process: signal the servers,
  // stand aside and re-raise, so Node dies exactly as it would have without us.
  signalOwnedChildren();
  uninstallHooks();
  process.kill(process.pid, signal);
}

function installHooks(): void {
  process.on('exit', signalOwnedChildren);
  for (const signal of FATAL_SIGNALS) process.on(signal, onFatalSignal);
}

function uninstallHooks(): void {
  process.removeListener('exit', signalOwnedChildren);
  for (const signal of FATAL_SIGNALS) process.removeListener(signal, onFatalSignal);
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}
