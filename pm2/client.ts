// A small promise wrapper around PM2's programmatic API. Every call has a timeout because a wedged PM2
// daemon must never wedge an activity, the sentinel or the CLI; every client is bound to one PM2_HOME
// so tests and the demo never touch a user's own PM2 daemon by accident.
import pm2 from 'pm2';
import type { ProcessDescription, StartOptions } from 'pm2';
import { FreshSharedCall } from './shared-call';
import { CpuWindow, cpuTicksOf } from './cpu-window';

export class Pm2TimeoutError extends Error {
  override name = 'Pm2TimeoutError';
}

export class Pm2Error extends Error {
  override name = 'Pm2Error';
}

/** What the rest of the system needs to know about one PM2 process. */
export interface Pm2Process {
  pmId: number;
  name: string;
  /** NODE_APP_INSTANCE: 0..instances-1, stable across restarts. */
  instance: number;
  pid: number;
  status: string;
  execMode: 'fork' | 'cluster';
  restarts: number;
  unstableRestarts: number;
  exitCode: number | null;
  /** ms since epoch when the current process started (PM2's pm_uptime). */
  startedAt: number;
  /**
   * ms since epoch when PM2 created this process (created_at): kept across restarts, new for a process added
   * by `scale` (and reset by a reload or `pm2 reset`). Absent when PM2 does not say.
   */
  createdAt?: number;
  memoryBytes: number;
  cpuPercent: number;
  /**
   * PM2's limits on a start, as its daemon applies them (lib/God.js handleExit): an exit sooner than
   * `minUptimeMs` after a start is an unstable restart, and at `maxRestarts` of them PM2 gives up. Absent when
   * PM2 does not say; PM2's own defaults (1000 ms, 16) then apply.
   */
  minUptimeMs?: number;
  maxRestarts?: number;
  /**
   * Status errored because PM2 gave up after maxRestarts unstable restarts: PM2 clears created_at only then
   * (a stop that timed out also ends errored, but keeps it). Absent otherwise.
   */
  gaveUp?: true;
  /** The files PM2 writes the process's stderr and stdout to (pm_err_log_path, pm_out_log_path), when it says. */
  errLogPath?: string;
  outLogPath?: string;
}

export interface Pm2BusEvent {
  event: string;
  manually: boolean;
  at: number;
  process: Pm2Process;
}

/** A chunk of what a process wrote to stderr, as PM2's bus carries it (often one line, sometimes several). */
export interface Pm2ErrorLog {
  text: string;
  at: number;
  process: { pmId: number; name: string };
}

// PM2's typings omit `custom`, the constructor for a client bound to its own PM2_HOME.
type Api = typeof pm2;
const Pm2Api = (pm2 as unknown as { custom: new (opts: { pm2_home: string }) => Api }).custom;

const DEFAULT_TIMEOUT_MS = 15_000;

function withTimeout<T>(what: string, ms: number, run: (cb: (err: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Pm2TimeoutError(`pm2 ${what} did not answer within ${ms} ms`)), ms);
    run((err, value) => {
      clearTimeout(timer);
      if (err) reject(err instanceof Error ? err : new Pm2Error(`pm2 ${what} failed: ${describeError(err)}`));
      else resolve(value as T);
    });
  });
}

/** PM2 refused a restart because its own autorestart of that process was spawning it at the same moment. */
export function isAutorestartRace(err: unknown): boolean {
  return /Process with pid \d+ already exists/.test(describeError(err));
}

function describeError(err: unknown): string {
  if (Array.isArray(err)) return err.map(describeError).join('; ');
  if (err && typeof err === 'object' && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}

/** A count or duration PM2 holds (a number, or a numeric string), 0 included. */
const isSetting = (v: unknown) => (typeof v === 'number' || (typeof v === 'string' && v.trim() !== '')) && Number.isFinite(Number(v)) && Number(v) >= 0;

export function toPm2Process(desc: ProcessDescription | Record<string, any>): Pm2Process {
  const d = desc as Record<string, any>;
  const env = (d.pm2_env ?? d) as Record<string, any>;
  const instance = Number(env.NODE_APP_INSTANCE ?? env.env?.NODE_APP_INSTANCE ?? 0);
  return {
    pmId: Number(d.pm_id ?? env.pm_id),
    name: String(d.name ?? env.name),
    instance: Number.isFinite(instance) ? instance : 0,
    pid: Number(d.pid ?? env.pid ?? 0) || 0,
    status: String(env.status ?? 'unknown'),
    execMode: env.exec_mode === 'cluster_mode' ? 'cluster' : 'fork',
    restarts: Number(env.restart_time ?? 0),
    unstableRestarts: Number(env.unstable_restarts ?? 0),
    exitCode: env.exit_code === undefined || env.exit_code === null ? null : Number(env.exit_code),
    startedAt: Number(env.pm_uptime ?? 0),
    ...(Number(env.created_at) > 0 ? { createdAt: Number(env.created_at) } : {}),
    memoryBytes: Number(d.monit?.memory ?? 0),
    cpuPercent: Number(d.monit?.cpu ?? 0),
    ...(isSetting(env.min_uptime) ? { minUptimeMs: Number(env.min_uptime) } : {}),
    ...(isSetting(env.max_restarts) ? { maxRestarts: Number(env.max_restarts) } : {}),
    ...(env.status === 'errored' && 'created_at' in env && env.created_at === null ? { gaveUp: true as const } : {}),
    ...(typeof env.pm_err_log_path === 'string' && env.pm_err_log_path ? { errLogPath: env.pm_err_log_path } : {}),
    ...(typeof env.pm_out_log_path === 'string' && env.pm_out_log_path ? { outLogPath: env.pm_out_log_path } : {}),
  };
}

export class Pm2Client {
  private connected = false;
  private bus: Promise<any> | undefined;
  private readonly errorLogListeners = new Set<(log: Pm2ErrorLog) => void>();
  private readonly cpu = new CpuWindow();
  private readonly listing = new FreshSharedCall(() => this.listNow());

  private constructor(
    private readonly api: Api,
    readonly home: string,
    private readonly timeoutMs: number,
  ) {}

  /** Connects to (or launches) the PM2 daemon that lives in `home`. */
  static async connect(opts: { home: string; timeoutMs?: number }): Promise<Pm2Client> {
    const api = new Pm2Api({ pm2_home: opts.home });
    const client = new Pm2Client(api, opts.home, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    await withTimeout<void>('connect', client.timeoutMs, (cb) => (api as any).connect(cb));
    client.connected = true;
    return client;
  }

  /** Every process PM2 runs; concurrent callers share one request to the daemon (pm2/shared-call.ts). */
  async list(): Promise<Pm2Process[]> {
    // Copies: callers must not see each other's changes to a shared answer.
    return (await this.listing.call()).map((p) => ({ ...p }));
  }

  private async listNow(): Promise<Pm2Process[]> {
    const list = await withTimeout<ProcessDescription[]>('list', this.timeoutMs, (cb) => this.api.list(cb));
    const processes = list.map(toPm2Process).sort((a, b) => a.pmId - b.pmId);
    // CPU over the last second from the kernel's own accounting, not PM2's since-anyone's-last-call reading.
    const at = Date.now();
    const live = processes.filter((p) => p.pid > 0);
    const ticks = await Promise.all(live.map((p) => cpuTicksOf(p.pid)));
    live.forEach((p, i) => {
      const t = ticks[i];
      const percent = t === null || t === undefined ? null : this.cpu.record(p.pid, at, t);
      if (percent !== null) p.cpuPercent = percent;
    });
    this.cpu.keepOnly(new Set(live.map((p) => p.pid)));
    return processes;
  }

  async listApp(name: string): Promise<Pm2Process[]> {
    return (await this.list()).filter((p) => p.name === name);
  }

  async start(options: StartOptions): Promise<void> {
    await withTimeout<unknown>(`start ${options.name ?? ''}`, this.timeoutMs, (cb) => this.api.start(options, cb));
  }

  /**
   * Restarts one process by pm_id (a single instance of an app). When PM2's own autorestart of the same
   * process is spawning at that moment, PM2 refuses with "Process with pid N already exists": that race is
   * tried again, a moment later, at most twice (seen in CI on a process crash-looping at start).
   */
  async restart(pmId: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await withTimeout<unknown>(`restart ${pmId}`, this.timeoutMs, (cb) => this.api.restart(pmId, cb));
        return;
      } catch (err) {
        if (attempt >= 3 || !isAutorestartRace(err)) throw err;
        await new Promise((r) => setTimeout(r, 300 * attempt));
      }
    }
  }

  /**
   * Zero-downtime reload of a cluster-mode app (by name: instances are replaced one at a time) or of one
   * instance (by pm_id). PM2 restarts instead whatever is not online in cluster mode.
   */
  async reload(nameOrId: string | number): Promise<void> {
    await withTimeout<unknown>(`reload ${nameOrId}`, this.timeoutMs, (cb) => this.api.reload(nameOrId as any, cb));
  }

  /**
   * Sets the number of instances of an app (PM2's `scale`): added instances are copies of the first one
   * with the next free NODE_APP_INSTANCE (fork and cluster mode alike). Scaling down through PM2 deletes the
   * lowest pm_ids first, i.e. the original instances; to remove added ones, delete them by pm_id instead.
   */
  async scale(name: string, instances: number): Promise<void> {
    await withTimeout<unknown>(`scale ${name} ${instances}`, this.timeoutMs, (cb) => (this.api as any).scale(name, instances, cb));
  }

  async delete(nameOrId: string | number): Promise<void> {
    await withTimeout<unknown>(`delete ${nameOrId}`, this.timeoutMs, (cb) => this.api.delete(nameOrId as any, cb));
  }

  /** Subscribes to process events (exit, online, restart overlimit, …) from the daemon's bus. */
  async onProcessEvent(listener: (event: Pm2BusEvent) => void): Promise<void> {
    const bus = await this.ensureBus();
    bus.on('process:event', (packet: any) => {
      listener({
        event: String(packet.event),
        manually: Boolean(packet.manually),
        at: Number(packet.at ?? Date.now()),
        process: toPm2Process(packet.process ?? {}),
      });
    });
  }

  /**
   * Subscribes to what every process of the daemon writes to stderr (`log:err` on the bus); the returned
   * function unsubscribes. PM2's bus can only drop all listeners of a topic at once, so this client keeps
   * one bus listener and its own set of subscribers.
   */
  async onErrorLog(listener: (log: Pm2ErrorLog) => void): Promise<() => void> {
    await this.ensureBus();
    this.errorLogListeners.add(listener);
    return () => void this.errorLogListeners.delete(listener);
  }

  /** The one bus of this client: launched on first use, shared by every subscription. */
  private ensureBus(): Promise<any> {
    if (!this.bus) {
      const launching = withTimeout<any>('launchBus', this.timeoutMs, (cb) => this.api.launchBus(cb)).then((bus) => {
        bus.on('log:err', (packet: any) => this.dispatchErrorLog(packet));
        return bus;
      });
      // A launch that failed may be retried by the next subscriber.
      launching.catch(() => {
        if (this.bus === launching) this.bus = undefined;
      });
      this.bus = launching;
    }
    return this.bus;
  }

  private dispatchErrorLog(packet: any): void {
    const log: Pm2ErrorLog = {
      text: String(packet?.data ?? ''),
      at: Number(packet?.at ?? Date.now()),
      process: { pmId: Number(packet?.process?.pm_id), name: String(packet?.process?.name ?? '') },
    };
    for (const listener of this.errorLogListeners) {
      try {
        listener(log);
      } catch (err) {
        // One broken subscriber must neither starve the others nor throw into PM2's socket handler.
        process.emitWarning(`a PM2 error-log listener threw: ${describeError(err)}`);
      }
    }
  }

  /** Stops the daemon itself and every process it runs (tests and `npm start` shutdown). */
  async killDaemon(): Promise<void> {
    await withTimeout<unknown>('killDaemon', this.timeoutMs, (cb) => this.api.killDaemon(cb));
    // PM2's client sockets otherwise keep reconnecting to the dead daemon forever and hold the process open.
    this.closeSockets();
    this.connected = false;
  }

  private closeSockets(): void {
    const client = (this.api as any).Client;
    for (const sock of [client?.client_sock, client?.sub_sock]) {
      try {
        sock?.close?.();
      } catch {
        // already closed with the daemon
      }
    }
    this.bus = undefined;
  }

  async disconnect(): Promise<void> {
    if (!this.connected) {
      this.closeSockets();
      return;
    }
    if (this.bus) {
      try {
        (this.api as any).Client?.sub_sock?.close?.();
      } catch {
        // the bus socket may already be gone with the daemon
      }
      this.bus = undefined;
    }
    this.connected = false;
    await withTimeout<void>('disconnect', 5_000, (cb) => {
      this.api.disconnect();
      cb(null);
    }).catch(() => undefined);
  }
}
