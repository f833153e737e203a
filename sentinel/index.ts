// The sentinel: zero-touch's own detectors, feeding the same ingest path as the webhooks.
import type { Config } from '../config/schema';
import { effectiveServices } from '../config/services';
import type { Logger } from '../observability/logger';
import type { Pm2Client } from '../pm2/client';
import type { AlertSink } from './alert-sink';
import { startHealthProber } from './health-prober';
import { watchPm2Events } from './pm2-events';

export async function startSentinel(opts: { config: Config; pm2: Pm2Client; sink: AlertSink; logger: Logger }) {
  const services = effectiveServices(opts.config);
  const events = await watchPm2Events({ pm2: opts.pm2, services, sink: opts.sink, logger: opts.logger });
  const prober = startHealthProber({ pm2: opts.pm2, services, config: opts.config.sentinel, sink: opts.sink, logger: opts.logger });
  opts.logger.info({ services: services.map((s) => s.name) }, 'sentinel watching');
  return {
    async stop() {
      events.stop();
      await prober.stop();
    },
  };
}
