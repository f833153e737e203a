// The PM2 definition of the demo target, used by `npm start`, the integration tests and the drills, so all
// of them break and heal the same thing.
import path from 'node:path';
import type { StartOptions } from 'pm2';

export const DEMO_APP_NAME = 'localize-api';
export const DEMO_BASE_PORT = 3100;
export const DEMO_HOST = '127.0.0.1';

export interface DemoAppOptions {
  name?: string;
  instances?: number;
  /** Instance n listens on basePort + n. */
  basePort?: number;
  /** Where persistent faults (crash-loop, failing-startup) are kept; see demo/faults.ts. */
  stateDir: string;
  execMode?: 'fork' | 'cluster';
  release?: string;
  scriptPath?: string;
  /**
   * Run through a release layout (deploys/releases.ts): PM2 starts `<appDir>/current/localize-api.js`, so a
   * restart after `zt deploy` or a rollback switched `current` runs the other release. Overrides scriptPath.
   */
  appDir?: string;
  /** More environment for the target (e.g. LOCALIZE_API_TRANSLATOR_URL); cannot override the pinned settings. */
  extraEnv?: Record<string, string>;
}

export function demoApp(opts: DemoAppOptions): StartOptions {
  return {
    name: opts.name ?? DEMO_APP_NAME,
    script: path.resolve(opts.appDir !== undefined ? path.join(opts.appDir, 'current', 'localize-api.js') : (opts.scriptPath ?? path.join(__dirname, 'localize-api.js'))),
    instances: opts.instances ?? 2,
    exec_mode: opts.execMode ?? 'fork',
    // Fork mode would otherwise run whichever `node` is first on the daemon's PATH; cluster mode always uses
    // the daemon's own node, which PM2 launches with process.execPath.
    interpreter: process.execPath,
    // Lets the `sawtooth` fault force a full collection (global.gc) after dropping each tooth, so its memory
    // really goes back to the OS within the tooth instead of whenever V8 gets round to it. PM2 7 passes
    // node_args to the node it spawns in fork mode and as the workers' execArgv in cluster mode.
    node_args: ['--expose-gc'],
    // PM2 copies the launching process's whole environment into the app, so every setting the target reads
    // is pinned here; a PORT or HOST exported in the user's shell must not move the instances.
    env: {
      ...opts.extraEnv,
      LOCALIZE_API_BASE_PORT: String(opts.basePort ?? DEMO_BASE_PORT),
      DEMO_STATE_DIR: opts.stateDir,
      RELEASE: opts.release ?? 'dev',
      PORT: '',
      HOST: DEMO_HOST,
    },
    autorestart: true,
    // Long enough for the target's 700 ms graceful shutdown; a hung instance ignores SIGINT and is killed after it.
    kill_timeout: 1000,
    // A process that dies within min_uptime counts as an unstable restart, and after max_restarts of those PM2
    // gives up and marks it "errored". PM2 only counts them during the first min_uptime * max_restarts (20 s)
    // after a start or manual restart, so a crash loop that begins later restarts forever instead.
    min_uptime: 2000,
    max_restarts: 10,
    // No restart_delay on purpose: with any restart_delay (even 0) PM2 7 overwrites "errored" with
    // "waiting restart" and then never restarts, so a given-up process would look merely pending.
    merge_logs: true,
  };
}

export function demoInstanceUrl(basePort: number, instance: number): string {
  return `http://${DEMO_HOST}:${basePort + instance}`;
}
