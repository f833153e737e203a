import { TestWorkflowEnvironment } from '@temporalio/testing';
import { dynamicConfigCliFlags } from './server-dynamic-config';
import { findChildPids } from './child-pids';
import type { TemporalEndpoint } from './endpoint';
import type { DevServerSettings } from './dev-server-settings';
import { stopWithParent } from './process-lifetime';
import { searchAttributeKeys } from './search-attribute-registration';
import { waitUntilServing } from './wait-until-serving';


/**
 * The fallback when no CLI can be found or built: the SDK downloads a released CLI and runs the same dev server.
 * It needs network access on first use instead of Go.
 */
export async function startSdkDevServer(settings: DevServerSettings): Promise<TemporalEndpoint> {
  const { ip, port, uiPort, namespace, dbFilename, headless, log } = settings;
  log.info('starting the Temporal dev server through the SDK (downloads the Temporal CLI on first use)…');
  const started = Date.now();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ip,
      port,
      namespace,
      searchAttributes: searchAttributeKeys(),
      ...(dbFilename ? { dbFilename } : {}),
      ui: !headless,
      ...(headless ? {} : { uiPort }),
      extraArgs: dynamicConfigCliFlags(),
    },
  });
  const forgetChildren = findChildPids(['start-dev', String(port)]).map(stopWithParent);
  const uiUrl = headless ? null : `http://${ip}:${uiPort}`;
  try {
    // The SDK waits for the frontend only; also confirm search attributes (and add any a db file lacks) and the UI.
    await waitUntilServing({ address: env.address, namespace, uiUrl, timeoutMs: settings.readyTimeoutMs, signal: new AbortController().signal, log });
  } catch (error) {
    await env.teardown();
    throw error;
  }
  log.info(`Temporal dev server (SDK) ready at ${env.address}${uiUrl ? `, UI ${uiUrl}` : ''} in ${Date.now() - started} ms`);

  let stopping: Promise<void> | undefined;
  return {
    address: env.address,
    uiUrl,
    namespace,
    stop: () =>
      (stopping ??= env.teardown().finally(() => forgetChildren.forEach((forget) => forget()))),
  };
}
