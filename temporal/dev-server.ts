import fs from 'node:fs';
import path from 'node:path';
import { findOrBuildTemporalCli } from './cli-binary';
import { startCliDevServer } from './cli-dev-server';
import type { TemporalEndpoint } from './endpoint';
import { isPortFree, pickFreePortPair } from './free-port';
import type { ProvisionLog } from './log';
import { startSdkDevServer } from './sdk-dev-server';

const LOOPBACK = '127.0.0.1';
const DEFAULT_PORT = 7233;
// `temporal server start-dev` convention, which the README and the UI links rely on.
const UI_PORT_OFFSET = 1000;
const DEFAULT_READY_TIMEOUT_MS = 60_000;

export interface DevServerOptions {
  /** Created at start; `default` always exists. */
  namespace?: string;
  /** gRPC port; default a free port, or 7233 with `preferDefaultPorts` (what `npm start` wants). */
  port?: number;
  /** Default `port + 1000`. */
  uiPort?: number;
  preferDefaultPorts?: boolean;
  /** SQLite file that keeps workflows across restarts; omitted means in-memory. */
  dbFilename?: string;
  headless?: boolean;
  readyTimeoutMs?: number;
  log: ProvisionLog;
}

/**
 * A local Temporal dev server on loopback with the contract's search attributes, ready to use when this resolves.
 * Runs the CLI found or built by findOrBuildTemporalCli, else the SDK's downloaded one.
 */
export async function startDevServer(opts: DevServerOptions): Promise<TemporalEndpoint> {
  const { log } = opts;
  const namespace = opts.namespace ?? 'default';
  const headless = opts.headless ?? false;
  const port = opts.port ?? (opts.preferDefaultPorts ? DEFAULT_PORT : await pickFreePortPair(UI_PORT_OFFSET));
  const uiPort = opts.uiPort ?? port + UI_PORT_OFFSET;
  await assertPortFree(port, 'gRPC');
  if (!headless) await assertPortFree(uiPort, 'Web UI');
  const dbFilename = opts.dbFilename ? path.resolve(opts.dbFilename) : undefined;
  // The server refuses a db path whose directory is missing; creating it is what a user would do anyway.
  if (dbFilename) fs.mkdirSync(path.dirname(dbFilename), { recursive: true });

  const settings = { ip: LOOPBACK, port, uiPort, namespace, dbFilename, headless, log,
    readyTimeoutMs: opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS };
  const cli = await findOrBuildTemporalCli({ log });
  if (cli) return startCliDevServer({ cli, ...settings });
  log.warn('no Temporal CLI available; falling back to the SDK-managed dev server');
  return startSdkDevServer(settings);
}

async function assertPortFree(port: number, role: string): Promise<void> {
  if (await isPortFree(port, LOOPBACK)) return;
  throw new Error(
    `cannot start the Temporal dev server: ${role} port ${port} on ${LOOPBACK} is already in use. ` +
      `If a Temporal server is already running there, set TEMPORAL_ADDRESS=${LOOPBACK}:${port} to use it; ` +
      'otherwise free the port or choose another one.',
  );
}
