// Routes the Temporal SDK's own logs (worker lifecycle, webpack bundling) through our logger at warn
// and above unless ZT_LOG_LEVEL asks for more, so a start-up is a banner, not a webpack module dump.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from './logger';

const LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

export function installTemporalRuntime(logger: Logger): void {
  const level = LEVELS[process.env.ZT_SDK_LOG_LEVEL ?? 'warn'] ?? 'WARN';
  Runtime.install({
    // Our entry points own shutdown order (sentinel, ingress, worker, PM2, server); the SDK's own
    // SIGINT handler would stop the worker first and race them.
    shutdownSignals: [],
    logger: new DefaultLogger(level, (entry) => {
      const fields = { sdk: true, ...(entry.meta ?? {}) };
      if (entry.level === 'ERROR') logger.error(fields, entry.message);
      else if (entry.level === 'WARN') logger.warn(fields, entry.message);
      else logger.info(fields, entry.message);
    }),
  });
}
