// The sentinel: zero-touch's own detectors, feeding the same ingest path as the webhooks. The PM2 event
// watcher reacts to exits at once; every other detector samples on its interval through runDetector.
import type { Config } from '../config/schema';
import { effectiveServices } from '../config/services';
import type { Logger } from '../observability/logger';
import type { Pm2Client } from '../pm2/client';
import type { AlertSink } from './alert-sink';
import { DETECTORS } from './detectors';
import { watchPm2Events } from './pm2-events';
import { runDetector } from './run-detector';

export async function startSentinel(opts: { config: Config; pm2: Pm2Client; sink: AlertSink; logger: Logger }) {
  const services = effectiveServices(opts.config);
  const events = await watchPm2Events({ pm2: opts.pm2, services, sink: opts.sink, logger: opts.logger });
  const running = services.flatMap((service) =>
    DETECTORS.map((factory) => factory({ service, pm2: opts.pm2, sentinel: opts.config.sentinel, logger: opts.logger }))
      .filter((d) => d !== null)
      .map((detector) => ({ service: service.name, detector: detector.name, ...runDetector({ service, detector, sink: opts.sink, logger: opts.logger }) })),
  );
  opts.logger.info({ detectors: running.map((r) => `${r.service}/${r.detector}`) }, 'sentinel watching');
  return {
    async stop() {
      events.stop();
      await Promise.all(running.map((r) => r.stop()));
    },
  };
}
