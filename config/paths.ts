// Where zero-touch keeps its own state. Relative paths are anchored at the project root, not the
// current directory, so `npx zt` run from anywhere finds the daemon and database `npm start` uses.
import os from 'node:os';
import path from 'node:path';
import type { Config } from './schema';
import { usesDemo } from './services';

export const PROJECT_ROOT = path.resolve(__dirname, '..');

export function statePath(p: string): string {
  return path.isAbsolute(p) ? p : path.resolve(PROJECT_ROOT, p);
}

/** The PM2 daemon of the watched services: zero-touch's own one for the demo, else the user's. */
export function pm2HomeOf(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  if (usesDemo(config)) return statePath(config.demo.pm2Home);
  return config.pm2.home ?? env.PM2_HOME ?? path.join(os.homedir(), '.pm2');
}
