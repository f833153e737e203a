// A real HAProxy for tests: a generated config with one loopback frontend, one backend of the given
// servers (health-checked on /healthz), and an admin-level stats socket in a temporary directory. Runs in
// the foreground (-db) as our child, so stopping it is a signal to a pid we own. Missing haproxy is an
// error naming the Debian package: these tests never skip.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HaproxyRuntime } from '../../probes/haproxy';
import { freePortRange } from './system';

export interface TestHaproxyServer {
  name: string;
  port: number;
  weight?: number;
  /** Declared `backup`: HAProxy sends it traffic only once no active server is usable. */
  backup?: boolean;
}

export interface TestHaproxy {
  /** http://127.0.0.1:<port> */
  readonly frontendUrl: string;
  readonly socketPath: string;
  readonly backend: string;
  readonly runtime: HaproxyRuntime;
  stop(): Promise<void>;
}

export async function startHaproxy(opts: { servers: TestHaproxyServer[]; backend?: string; checkIntervalMs?: number }): Promise<TestHaproxy> {
  const backend = opts.backend ?? 'app';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-haproxy-'));
  const socketPath = path.join(dir, 'admin.sock');
  const port = await freePortRange(1);
  const inter = opts.checkIntervalMs ?? 500;
  const config = [
    'global',
    `  stats socket ${socketPath} mode 600 level admin`,
    '  maxconn 512',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 10s',
    '  timeout server 10s',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    `  default_backend ${backend}`,
    `backend ${backend}`,
    '  balance roundrobin',
    '  option httpchk GET /healthz',
    ...opts.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check inter ${inter} fall 2 rise 1 weight ${s.weight ?? 100}${s.backup ? ' backup' : ''}`),
    '',
  ].join('\n');
  const cfgPath = path.join(dir, 'haproxy.cfg');
  await writeFile(cfgPath, config);

  const stderr: string[] = [];
  const child = spawn('haproxy', ['-db', '-f', cfgPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (c: Buffer) => stderr.push(c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? new Error('haproxy is not installed: the network tests need the Debian package "haproxy" (apt-get install -y haproxy)')
          : err,
      ),
    ),
  );
  const runtime = new HaproxyRuntime(socketPath, 2000);

  try {
    await Promise.race([spawnError, waitForSocket(runtime, child, stderr)]);
  } catch (err) {
    await stopChild(child, exited);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    frontendUrl: `http://127.0.0.1:${port}`,
    socketPath,
    backend,
    runtime,
    async stop() {
      await stopChild(child, exited);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForSocket(runtime: HaproxyRuntime, child: ChildProcess, stderr: string[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${stderr.join('').trim()}`);
    try {
      await runtime.showStat();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`haproxy stats socket not ready within ${timeoutMs} ms: ${String(err)}; ${stderr.join('').trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

// SIGUSR1 is HAProxy's soft stop (finish open sessions); SIGTERM after a grace period is the hard one.
async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  // No pid: spawn itself failed, so there is nothing to stop and no exit event will come.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGUSR1');
  const hard = setTimeout(() => child.kill('SIGTERM'), 3000);
  await exited;
  clearTimeout(hard);
}
