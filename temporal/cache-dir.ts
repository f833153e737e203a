import os from 'node:os';
import path from 'node:path';

/**
 * Where zero-touch keeps things that are expensive to recreate (the Temporal CLI build) but safe to delete.
 * `ZT_CACHE_DIR` wins so CI can point it at a cached directory; otherwise the XDG convention.
 */
export function zeroTouchCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ZT_CACHE_DIR) return path.resolve(env.ZT_CACHE_DIR);
  const xdgCache = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdgCache, 'zero-touch');
}
