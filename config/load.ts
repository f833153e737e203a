// Loads ZT_CONFIG (a JSON file path, or inline JSON) over the defaults, applies the documented
// environment variables on top, and refuses anything invalid with every bad field named.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CatalogError, catalogFor } from '../policy/catalog/load';
import { configSchema, type Config } from './schema';
import { withNotifierEnv } from './notifiers';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function formatZodError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

function readConfigSource(source: string | undefined): unknown {
  if (!source) return {};
  const text = source.trimStart().startsWith('{') ? source : readConfigFile(source);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`ZT_CONFIG is not valid JSON: ${(err as Error).message}`);
  }
}

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`ZT_CONFIG file ${path} cannot be read: ${(err as Error).message}`);
  }
}

function envOverrides(env: NodeJS.ProcessEnv, raw: Record<string, any>): Record<string, any> {
  const merged = structuredClone(raw);
  const set = (section: string, key: string, value: unknown) => {
    merged[section] = { ...(merged[section] ?? {}), [key]: value };
  };
  if (env.TEMPORAL_ADDRESS) set('temporal', 'address', env.TEMPORAL_ADDRESS);
  if (env.TEMPORAL_NAMESPACE) set('temporal', 'namespace', env.TEMPORAL_NAMESPACE);
  if (env.ZT_TASK_QUEUE) set('temporal', 'taskQueue', env.ZT_TASK_QUEUE);
  if (env.ZT_HTTP_PORT) {
    const port = Number(env.ZT_HTTP_PORT);
    if (!Number.isInteger(port)) throw new ConfigError(`ZT_HTTP_PORT must be an integer, got "${env.ZT_HTTP_PORT}"`);
    set('http', 'port', port);
  }
  if (env.ZT_HTTP_HOST) set('http', 'host', env.ZT_HTTP_HOST);
  if (env.ZT_WEBHOOK_TOKEN) set('http', 'webhookToken', env.ZT_WEBHOOK_TOKEN);
  if (env.PM2_HOME && !merged.pm2?.home) set('pm2', 'home', env.PM2_HOME);
  // Notifier secrets (Slack URL, PagerDuty routing key, webhook HMAC secrets) stay out of config files.
  const notifiers = withNotifierEnv(merged.notifiers, env);
  if (notifiers !== undefined) merged.notifiers = notifiers;
  return merged;
}

export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = {}): Config {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('config must be a JSON object');
  }
  const result = configSchema.safeParse(envOverrides(env, raw as Record<string, any>));
  if (!result.success) throw new ConfigError(`invalid config: ${formatZodError(result.error)}`);
  const names = result.data.services.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ConfigError(`invalid config: services: "${dup}" is listed twice`);
  return result.data;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config = parseConfig(readConfigSource(env.ZT_CONFIG), env);
  checkCatalog(config);
  return config;
}

/** A broken signature catalog is refused at start-up, naming the file, the signature and the field. */
export function checkCatalog(config: Config): void {
  try {
    catalogFor(config.policy.catalogFiles);
  } catch (err) {
    if (err instanceof CatalogError) throw new ConfigError(`invalid config: policy.catalogFiles: ${err.message}`);
    throw err;
  }
}
