// Routes the Temporal SDK's own logs (worker lifecycle, webpack bundling) through our logger at warn
// and above unless ZT_LOG_LEVEL asks for more, so a start-up is a banner, not a webpack module dump.
// The SDK core also exports the worker's own metrics (temporal_*: task polls, schedule-to-start latency,
// activity and workflow outcomes) in Prometheus form at ZT_TEMPORAL_METRICS_ADDRESS (docs/metrics.md).
import { DefaultLogger, IllegalStateError, Runtime, type LogLevel, type RuntimeOptions } from '@temporalio/worker';
import { temporalMetricsAddress } from '../config/metrics';
import type { Logger } from './logger';

const LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

export interface TemporalRuntimeOptions {
  /** `host:port` for the SDK's Prometheus exporter, or null for none; default from ZT_TEMPORAL_METRICS_ADDRESS. */
  metricsAddress?: string | null;
}

export interface InstalledTemporalRuntime {
  /** Where temporal_* metrics are served (`http://<address>/metrics`), or null when they are not. */
  metricsUrl: string | null;
}

/** The runtime can be installed once per process; the first installation is the one that holds. */
let installed: InstalledTemporalRuntime | undefined;

export function installTemporalRuntime(logger: Logger, opts: TemporalRuntimeOptions = {}): InstalledTemporalRuntime {
  if (installed) return installed;
  const level = LEVELS[process.env.ZT_SDK_LOG_LEVEL ?? 'warn'] ?? 'WARN';
  const base: RuntimeOptions = {
    // Our entry points own shutdown order (sentinel, ingress, worker, PM2, server); the SDK's own
    // SIGINT handler would stop the worker first and race them.
    shutdownSignals: [],
    logger: new DefaultLogger(level, (entry) => {
      const fields = { sdk: true, ...(entry.meta ?? {}) };
      if (entry.level === 'ERROR') logger.error(fields, entry.message);
      else if (entry.level === 'WARN') logger.warn(fields, entry.message);
      else logger.info(fields, entry.message);
    }),
  };
  let address: string | null;
  if (opts.metricsAddress !== undefined) address = opts.metricsAddress;
  else {
    const resolved = temporalMetricsAddress();
    if (resolved.problem) logger.warn(`Temporal worker metrics off: ${resolved.problem}`);
    address = resolved.address;
  }
  if (address) {
    try {
      Runtime.install({ ...base, telemetryOptions: { metrics: { prometheus: { bindAddress: address } } } });
      installed = { metricsUrl: `http://${address}/metrics` };
      return installed;
    } catch (err) {
      // Installing twice, or after a Worker already made the default runtime, is a programming error.
      if (err instanceof IllegalStateError) throw err;
      // A taken port (another worker on this host, a second `npm start`) costs the metrics, never the worker.
      logger.warn({ err }, `Temporal worker metrics not served on ${address}: ${(err as Error).message}; running without them`);
    }
  }
  Runtime.install(base);
  installed = { metricsUrl: null };
  return installed;
}
