import { spawn } from 'node:child_process';
import type { TemporalEndpoint } from './endpoint';
import type { DevServerSettings } from './dev-server-settings';
import { OutputTail } from './output-tail';
import { exitOf, stopWithParent, terminate } from './process-lifetime';
import { searchAttributeCliFlags } from './search-attribute-registration';
import { dynamicConfigCliFlags } from './server-dynamic-config';
import { waitUntilServing } from './wait-until-serving';

export interface CliDevServerSettings extends DevServerSettings {
  cli: string;
}

/** Runs `temporal server start-dev` as our child and returns once it serves. */
export async function startCliDevServer(settings: CliDevServerSettings): Promise<TemporalEndpoint> {
  const { cli, ip, port, uiPort, namespace, dbFilename, headless, log } = settings;
  const args = [
    'server', 'start-dev',
    '--ip', ip,
    '--port', String(port),
    '--namespace', namespace,
    // warn keeps a healthy server quiet; what it does print is kept for error messages below.
    '--log-level', 'warn',
    ...searchAttributeCliFlags(),
    ...dynamicConfigCliFlags(),
    ...(dbFilename ? ['--db-filename', dbFilename] : []),
    ...(headless ? ['--headless'] : ['--ui-port', String(uiPort)]),
  ];
  const address = `${ip}:${port}`;
  const uiUrl = headless ? null : `http://${ip}:${uiPort}`;
  const started = Date.now();

  // An argument array and no shell: paths with spaces or quotes cannot change the command.
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = new OutputTail(30);
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
  const exited = exitOf(child);
  const forgetChild = child.pid === undefined ? () => {} : stopWithParent(child.pid);
  void exited.then(forgetChild); // a pid that exited may be reused: never signal it later

  const serverDied = new AbortController();
  void exited.then((how) => serverDied.abort(`temporal server start-dev ended (${how}) before serving at ${address}`));
  try {
    await waitUntilServing({ address, namespace, uiUrl, timeoutMs: settings.readyTimeoutMs, signal: serverDied.signal, log });
  } catch (error) {
    await terminate(child, exited);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${reason}\ncommand: ${cli} ${args.join(' ')}\nlast server output:\n${output.text() || '(none)'}`);
  }
  log.info(`Temporal dev server ready at ${address}${uiUrl ? `, UI ${uiUrl}` : ''} in ${Date.now() - started} ms` +
    (dbFilename ? ` (state in ${dbFilename})` : ' (in-memory)'));

  let stopping: Promise<void> | undefined;
  return {
    address,
    uiUrl,
    namespace,
    stop: () => (stopping ??= terminate(child, exited)),
  };
}
