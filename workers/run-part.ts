// Runs one part of the system against an existing Temporal server until SIGINT/SIGTERM.
import type { Config } from '../config/schema';
import { createLogger } from '../observability/logger';
import { installTemporalRuntime } from '../observability/temporal-runtime';
import { startSystem, type SystemParts } from './system';

export async function runPart(name: string, config: Config, parts: SystemParts): Promise<void> {
  const logger = createLogger(name);
  // Only a worker has Temporal SDK metrics to export; the ingress and sentinel must not take its port.
  installTemporalRuntime(logger, parts.worker ? {} : { metricsAddress: null });
  const address = config.temporal.address;
  if (!address) {
    logger.fatal('TEMPORAL_ADDRESS is not set; `npm start` runs everything with an embedded server instead');
    process.exit(1);
  }
  try {
    const system = await startSystem(config, address, parts, logger);
    logger.info({ webhookUrl: system.webhookUrl }, `${name} running`);
    const stop = async () => {
      await system.stop();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  } catch (err) {
    logger.fatal({ err }, `${name} failed to start`);
    process.exit(1);
  }
}
