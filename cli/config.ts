// The CLI reads the same config as the workers (ZT_CONFIG + environment), so it talks to the same
// Temporal namespace and PM2 daemon they do.
import { ConfigError, loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { CliError } from './errors';

/** Where `npm start` serves Temporal when TEMPORAL_ADDRESS is unset (its embedded dev server). */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
}

export function temporalAddress(config: Config): string {
  return config.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS;
}

