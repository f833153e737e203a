import { startDevServer } from './dev-server';
import type { DevServerOptions } from './dev-server';
import type { TemporalEndpoint } from './endpoint';

/**
 * The one way `npm start`, the test runner and CI get a Temporal server: the one `TEMPORAL_ADDRESS` names
 * (production, compose, a shared dev server), or else an embedded dev server that lives as long as we do.
 */
export async function provisionTemporal(opts: DevServerOptions): Promise<TemporalEndpoint> {
  const address = process.env.TEMPORAL_ADDRESS;
  if (address) {
    const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
    opts.log.info(`using the Temporal server at ${address} (namespace ${namespace}) from TEMPORAL_ADDRESS`);
    return {
      address,
      uiUrl: process.env.ZT_TEMPORAL_UI_URL ?? null,
      namespace,
      stop: async () => {}, // not ours to stop
    };
  }
  return startDevServer(opts);
}
