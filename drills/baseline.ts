// The baseline: the same fault with PM2 alone. The demo target runs under a PM2 daemon of its own (its
// own PM2_HOME, autorestart and the demo's PM2 defaults: min_uptime 2 s, max_restarts 10), with no
// zero-touch at all — no sentinel, no worker. Recovered means every instance answers its health check and,
// for faults that live in the process (hang, leak, burn, slow, errors), none is still active; a drill whose
// condition lives outside the processes (disk, HAProxy, resolver, upstream) says what recovered means.
// `null` when not recovered within the limit.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { demoApp, demoInstanceUrl } from '../demo/ecosystem';
import { clearFaults, clearPersistentFaults, listFaults } from '../demo/faults';
import { Pm2Client } from '../pm2/client';
import { freePortRange, waitForHealthy } from '../test/helpers/system';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

import { DEFAULT_BASELINE_LIMIT_MS } from './args';

export { DEFAULT_BASELINE_LIMIT_MS };

export interface Pm2AloneOptions {
  instances?: number;
  basePort?: number;
  demoEnv?: Record<string, string>;
  appDir?: string;
  /** Runs with PM2 connected, before the demo starts (e.g. deploy a first release). */
  beforeStart?: (env: { home: string; service: string; basePort: number }) => Promise<void>;
}

export class Pm2Alone {
  private constructor(
    readonly pm2: Pm2Client,
    readonly dir: string,
    readonly home: string,
    readonly service: string,
    readonly basePort: number,
    readonly instances: number,
    readonly stateDir: string,
    private readonly app: ReturnType<typeof demoApp>,
  ) {}

  static async start(opts: Pm2AloneOptions = {}): Promise<Pm2Alone> {
    const instances = opts.instances ?? 2;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-drill-pm2-'));
    const home = path.join(dir, 'pm2');
    const basePort = opts.basePort ?? (await freePortRange(instances));
    const service = `pm2-alone-${Math.random().toString(36).slice(2, 8)}`;
    const stateDir = path.join(dir, 'demo');
    const pm2 = await Pm2Client.connect({ home });
    await opts.beforeStart?.({ home, service, basePort });
    const app = demoApp({
      name: service,
      instances,
      basePort,
      stateDir,
      ...(opts.demoEnv ? { extraEnv: opts.demoEnv } : {}),
      ...(opts.appDir !== undefined ? { appDir: opts.appDir } : {}),
    });
    await pm2.start(app);
    await waitForHealthy(basePort, instances);
    return new Pm2Alone(pm2, dir, home, service, basePort, instances, stateDir, app);
  }

  instanceUrl(i: number): string {
    return demoInstanceUrl(this.basePort, i);
  }

  /** Every instance answers /healthz within 500 ms. */
  async healthy(): Promise<boolean> {
    const ok = await Promise.all(
      Array.from({ length: this.instances }, (_, i) =>
        fetch(`${this.instanceUrl(i)}/healthz`, { signal: AbortSignal.timeout(500) }).then((r) => r.ok, () => false),
      ),
    );
    return ok.every(Boolean);
  }

  /** Healthy, and no runtime fault still active in any instance. */
  async recovered(): Promise<boolean> {
    if (!(await this.healthy())) return false;
    const listings = await Promise.all(
      Array.from({ length: this.instances }, (_, i) => listFaults(this.instanceUrl(i), { timeoutMs: 500 }).then((l) => l.faults.length, () => 1)),
    );
    return listings.every((n) => n === 0);
  }

  /**
   * Injects the fault and polls `recovered` every 200 ms until the limit: seconds from the fault, or null.
   * `during` runs concurrently (e.g. the transient condition that ends by itself).
   */
  async measure(inject: () => Promise<number>, recovered: () => Promise<boolean> = () => this.recovered(), limitMs = DEFAULT_BASELINE_LIMIT_MS): Promise<number | null> {
    const faultAt = await inject();
    // Give the fault a moment to take effect (a crash is not "recovered" before it happened).
    await sleep(300);
    while (Date.now() - faultAt < limitMs) {
      if (await recovered().catch(() => false)) return Math.round((Date.now() - faultAt) / 10) / 100;
      await sleep(200);
    }
    return null;
  }

  /** Back to healthy for the next measurement: faults cleared, the app deleted and started again. */
  async reset(): Promise<void> {
    await clearPersistentFaults(this.stateDir);
    await Promise.all(Array.from({ length: this.instances }, (_, i) => clearFaults(this.instanceUrl(i), { timeoutMs: 500 }).catch(() => undefined)));
    // delete + start rather than restart: an errored process (PM2 gave up) and a scale leftover both go.
    await this.pm2.delete(this.service).catch(() => undefined);
    await this.pm2.start(this.app);
    await waitForHealthy(this.basePort, this.instances, 30_000);
  }

  async stop(): Promise<void> {
    const pids = (await this.pm2.listApp(this.service).catch(() => [])).map((p) => p.pid).filter((pid) => pid > 0);
    const killed = await this.pm2.killDaemon().then(() => true, () => false);
    if (!killed) {
      const daemon = Number((await readFile(path.join(this.home, 'pm2.pid'), 'utf8').catch(() => '')).trim());
      for (const pid of [...(daemon > 0 ? [daemon] : []), ...pids]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    await this.pm2.disconnect().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}
