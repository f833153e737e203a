// The incident worker as a child process (workers/worker.ts, the production entry point), under a small
// supervisor that starts it again whenever it exits, as systemd or a container runtime would. Drills SIGKILL
// it and count what the supervisor saw: starts, kills, and exits nobody asked for.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Client } from '@temporalio/client';

const ROOT = path.resolve(__dirname, '../..');

export interface WorkerExit {
  pid: number;
  code: number | null;
  signal: string | null;
  /** True when the drill killed it; false for an exit nobody asked for. */
  killedByDrill: boolean;
  at: number;
}

export class SupervisedWorker {
  private child: ChildProcess | null = null;
  private stopping = false;
  private expectKill = false;
  readonly exits: WorkerExit[] = [];
  starts = 0;
  private readonly stderrTail: string[] = [];

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    /** Pause before a restart, as a process manager's restart delay. */
    private readonly restartDelayMs = 250,
  ) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** The last lines the worker wrote to stderr (its error logs), for a drill's details. */
  get recentErrors(): string[] {
    return [...this.stderrTail];
  }

  start(): void {
    this.stopping = false;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workers/worker.ts')], {
      cwd: ROOT,
      env: this.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.starts++;
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        this.stderrTail.push(line.slice(0, 400));
        if (this.stderrTail.length > 20) this.stderrTail.shift();
      }
    });
    child.once('exit', (code, signal) => {
      this.exits.push({ pid: child.pid ?? -1, code, signal, killedByDrill: this.expectKill, at: Date.now() });
      this.expectKill = false;
      if (this.child === child) this.child = null;
      if (!this.stopping) setTimeout(() => !this.stopping && !this.child && this.start(), this.restartDelayMs);
    });
  }

  /** SIGKILL: no shutdown, no heartbeat, in-flight activities abandoned. The supervisor starts another. */
  async kill(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) return null;
    this.expectKill = true;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    return child.pid ?? null;
  }

  /** Waits until the current process polls the task queue (its identity is `<pid>@<host>`). */
  async ready(client: Client, taskQueue: string, timeoutMs = 60_000): Promise<number> {
    const started = Date.now();
    for (;;) {
      const pid = this.pid;
      if (pid !== null) {
        const res = await client.workflowService
          .describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: taskQueue }, taskQueueType: 2 /* ACTIVITY */ })
          .catch(() => null);
        if (res?.pollers?.some((p) => p.identity?.startsWith(`${pid}@`))) return Date.now() - started;
      }
      if (Date.now() - started > timeoutMs) throw new Error(`worker process ${pid ?? '(none)'} did not poll ${taskQueue} within ${timeoutMs} ms; stderr: ${this.stderrTail.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The environment a worker child needs: its config, the server, the ledger, and no fixed metrics ports. */
export function workerEnv(opts: { rawConfig: unknown; temporalAddress: string; databaseUrl: string; ledgerSchema: string }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ZT_CONFIG: JSON.stringify(opts.rawConfig),
    TEMPORAL_ADDRESS: opts.temporalAddress,
    DATABASE_URL: opts.databaseUrl,
    ZT_LEDGER_SCHEMA: opts.ledgerSchema,
    ZT_LOG_LEVEL: process.env.ZT_LOG_LEVEL ?? 'error',
    // Several drills' workers must not fight over the default metrics ports.
    ZT_METRICS_PORT: 'off',
    ZT_TEMPORAL_METRICS_ADDRESS: 'off',
  };
}
