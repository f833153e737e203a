// `npm start`: the whole system on embedded defaults — a Temporal dev server with its Web UI (state
// kept in .zt/temporal.db), the worker, the ingress, the sentinel and, with no services configured,
// the demo target. Ctrl-C stops everything it started.
import { loadConfig } from '../config/load';
import { statePath } from '../config/paths';
import { usesDemo } from '../config/services';
import { createLogger } from '../observability/logger';
import { installTemporalRuntime } from '../observability/temporal-runtime';
import { provisionTemporal } from '../temporal/provision';
import { printBanner } from './banner';
import { startSystem } from './system';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('zero-touch');
  installTemporalRuntime(logger);
  if (config.temporal.address) process.env.TEMPORAL_ADDRESS ??= config.temporal.address;
  const temporal = await provisionTemporal({ preferDefaultPorts: true, dbFilename: statePath(config.temporal.dbFilename), log: console });
  const system = await startSystem(config, temporal.address, { worker: true, ingress: true, sentinel: true, demo: true }, logger).catch(async (err) => {
    await temporal.stop();
    throw err;
  });
  printBanner({ config, temporal, webhookUrl: system.webhookUrl, demo: usesDemo(config) });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping everything zero-touch started`);
    await system.stop();
    await temporal.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(`zero-touch failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
