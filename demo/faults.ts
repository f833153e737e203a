// A typed client for the demo target's fault switches, shared by tests, drills and the docs. Runtime faults
// go over HTTP to one instance; persistent faults (crash-loop, failing-startup) are files in the state dir
// that the instance reads at every start, so they can be armed or removed while the instance is down.
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type RuntimeFault =
  | { fault: 'crash' }
  | { fault: 'hang' }
  | { fault: 'unhealthy' }
  | { fault: 'slow'; ms: number }
  | { fault: 'errors'; rate: number }
  | { fault: 'memory'; mbPerSecond: number; maxMb?: number }
  | { fault: 'cpu'; percent: number }
  /** RSS climbs by `mb` (default 64) over most of each `periodMs` (default 2000), then is collected: no leak. */
  | { fault: 'sawtooth'; mb?: number; periodMs?: number }
  /** Writes `message` (≤ 1000 chars) to stderr `count` times (default 1, ≤ 1000) via the target's logger; nothing stays active. */
  | { fault: 'log-error'; message: string; count?: number };

export type PersistentFault =
  | { fault: 'crash-loop'; delayMs?: number }
  /**
   * Every start throws before listening; with `starts` (1-1000), only that many starts do: each one counts the
   * file down and the last removes it, so the next start succeeds — a dependency that is back after a known
   * number of attempts, without anyone having to race to remove the file.
   */
  | { fault: 'failing-startup'; starts?: number };

export type Fault = RuntimeFault | PersistentFault;
export type FaultName = Fault['fault'];

/**
 * A fault as the instance reports it, with its defaults filled in. `memory` adds `retainedMb`; `sawtooth`
 * adds what the current tooth holds, how many teeth were given back, and whether they were collected by a
 * forced gc (the target runs with --expose-gc) or by allocation pressure.
 */
export type ActiveFault = Fault & {
  persistent: boolean;
  activeSince: string;
  retainedMb?: number;
  heldMb?: number;
  teeth?: number;
  gc?: 'forced' | 'pressure';
};

export interface FaultAccepted {
  accepted: Fault;
  instance: number;
  pid: number;
  persistent: boolean;
  /** true when the instance exits right after answering (crash and persistent faults). */
  exiting: boolean;
}

export interface FaultListing {
  instance: number;
  pid: number;
  faults: ActiveFault[];
}

export interface FaultsCleared {
  instance: number;
  pid: number;
  cleared: FaultName[];
}

export interface FaultClientOptions {
  /** Sent as x-fault-token; defaults to DEMO_FAULT_TOKEN from this process's environment. */
  token?: string;
  /** Short by default: the instance may be hung, and a hung instance must not hang the caller. */
  timeoutMs?: number;
}

export class FaultSwitchError extends Error {
  override name = 'FaultSwitchError';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

const DEFAULT_TIMEOUT_MS = 3_000;

async function callFaultSwitch<T>(baseUrl: string, method: string, body: unknown, opts: FaultClientOptions): Promise<T> {
  const url = new URL('/__faults', baseUrl);
  const token = opts.token ?? process.env.DEMO_FAULT_TOKEN;
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers['x-fault-token'] = token;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    text = await response.text();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new FaultSwitchError(`${method} ${url.href} failed: ${reason}`, null);
  }
  if (!response.ok) {
    let detail = text;
    try {
      detail = String((JSON.parse(text) as { error?: unknown }).error ?? text);
    } catch {
      // not JSON: the raw text is the best explanation there is
    }
    throw new FaultSwitchError(`${method} ${url.href} answered ${response.status}: ${detail}`, response.status);
  }
  return JSON.parse(text) as T;
}

/**
 * Switches a fault on in the instance at `baseUrl` and resolves once the instance has accepted it. For
 * `hang` and `crash` that is the 202 sent just before the instance freezes or exits.
 */
export function injectFault(baseUrl: string, fault: Fault, opts: FaultClientOptions = {}): Promise<FaultAccepted> {
  return callFaultSwitch<FaultAccepted>(baseUrl, 'POST', fault, opts);
}

/** Clears every runtime fault of the instance, and its persistent fault file if it has one. */
export function clearFaults(baseUrl: string, opts: FaultClientOptions = {}): Promise<FaultsCleared> {
  return callFaultSwitch<FaultsCleared>(baseUrl, 'DELETE', undefined, opts);
}

export function listFaults(baseUrl: string, opts: FaultClientOptions = {}): Promise<FaultListing> {
  return callFaultSwitch<FaultListing>(baseUrl, 'GET', undefined, opts);
}

// The file name and JSON shape are a contract with demo/localize-api/persistent-faults.js.
export function persistentFaultFile(stateDir: string, instance: number): string {
  return path.join(stateDir, `faults-${instance}.json`);
}

const PERSISTENT_FAULT_FILE = /^faults-\d+\.json$/;

/**
 * Arms a persistent fault for `instance` without touching the running process: it takes effect at the
 * instance's next start (a PM2 restart, a deploy, a crash). Returns the file written.
 */
export async function setPersistentFault(stateDir: string, instance: number, fault: PersistentFault): Promise<string> {
  const file = persistentFaultFile(stateDir, instance);
  await mkdir(stateDir, { recursive: true });
  // Renamed into place so an instance starting at this moment never reads half a file.
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ ...fault, setAt: new Date().toISOString() })}\n`);
  await rename(temporary, file);
  return file;
}

/** Removes the persistent fault of one instance, or of every instance when `instance` is omitted. */
export async function clearPersistentFaults(stateDir: string, instance?: number): Promise<string[]> {
  let names: string[];
  if (instance === undefined) {
    try {
      names = (await readdir(stateDir)).filter((name) => PERSISTENT_FAULT_FILE.test(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  } else {
    names = [path.basename(persistentFaultFile(stateDir, instance))];
  }
  const removed: string[] = [];
  for (const name of names) {
    const file = path.join(stateDir, name);
    try {
      await rm(file);
      removed.push(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return removed;
}
