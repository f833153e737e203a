// `zt deploy <service> <release-dir>`: install a release into the service's release layout
// (`releases/<version>`), switch `current` to it, reload the app through PM2 and record the deploy in the
// registry the bad-deploy detector and the rollback action read (docs/actions.md).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { pm2HomeOf } from '../config/paths';
import { findService, UnknownServiceError } from '../config/services';
import { checkVersion, installRelease, readCurrent, ReleaseLayoutError, switchCurrent } from '../deploys/releases';
import { serviceDeploys } from '../deploys/service';
import { loadCliConfig } from './config';
import { CliError, EXIT_FAILURE } from './errors';
import { note, printJson, printText } from './output';

interface DeployOptions {
  version?: string;
  by?: string;
  json?: boolean;
}

/** `<package.json version>-<UTC timestamp>`, so two deploys of one package version never collide. */
export async function defaultVersion(releaseDir: string, now = new Date()): Promise<string> {
  let pkgVersion: unknown;
  try {
    pkgVersion = (JSON.parse(await readFile(path.join(releaseDir, 'package.json'), 'utf8')) as { version?: unknown }).version;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT'
        ? `${releaseDir} has no package.json to take the version from: pass --version`
        : `cannot read the version from ${path.join(releaseDir, 'package.json')}: ${(err as Error).message} (pass --version)`,
    );
  }
  if (typeof pkgVersion !== 'string' || pkgVersion === '') throw new CliError(`${path.join(releaseDir, 'package.json')} has no "version": pass --version`);
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${pkgVersion}-${stamp}`;
}

export function registerDeployCommand(program: Command): void {
  program
    .command('deploy')
    .description('install a release dir as releases/<version>, switch current to it, reload through PM2 and record the deploy')
    .argument('<service>', 'a configured service with an actions.deploy section')
    .argument('<release-dir>', 'the directory to install (copied; never modified)')
    .option('--version <version>', 'release version (default: package.json version + UTC timestamp)')
    .option('--by <name>', 'who deploys, recorded in the registry (default: $ZT_OPERATOR, then $USER)')
    .option('--json', 'print the registry record as JSON')
    .action((service: string, releaseDir: string, opts: DeployOptions) => deploy(service, releaseDir, opts));
}

async function deploy(name: string, sourceDir: string, opts: DeployOptions): Promise<void> {
  const config = loadCliConfig();
  let service;
  try {
    service = findService(config, name);
  } catch (err) {
    if (err instanceof UnknownServiceError) throw new CliError(err.message);
    throw err;
  }
  const deploys = serviceDeploys(service);
  if (!deploys) throw new CliError(`service "${name}" has no actions.deploy section (appDir of its releases/ and current link) in the config: it is not deployed through releases`);
  const by = opts.by ?? process.env.ZT_OPERATOR ?? process.env.USER;
  if (!by || by.trim() === '') throw new CliError('who deploys is unknown: pass --by NAME or set ZT_OPERATOR');

  const isDir = await stat(sourceDir).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new CliError(`release directory ${sourceDir} does not exist or is not a directory`);
  let version: string;
  let previous;
  try {
    version = checkVersion(opts.version ?? (await defaultVersion(sourceDir)));
    previous = await readCurrent(deploys.appDir);
    await installRelease(deploys.appDir, sourceDir, version);
  } catch (err) {
    if (err instanceof ReleaseLayoutError) throw new CliError(err.message);
    throw err;
  }
  const current = await switchCurrent(deploys.appDir, version);
  // Recorded before the reload: the detector's watch window starts with the switch, and a reload that
  // fails still leaves a release that instances restarted by PM2 will run.
  const record = await deploys.registry.recordDeploy({ service: service.name, version, path: path.join(deploys.appDir, 'releases', version), by: by.trim(), kind: 'deploy' });
  const reloaded = await reload(pm2HomeOf(config), service.name);
  if (opts.json) return printJson({ ...record, previous: previous?.version ?? null, switchedAt: new Date(current.switchedAt).toISOString(), reloaded });
  printText(
    `deployed ${service.name} ${version}${previous ? ` (was ${previous.version})` : ''}: ${path.join(deploys.appDir, 'current')} → releases/${version}; ` +
      (reloaded ? `reloaded ${reloaded} instance(s) through PM2` : 'not running under PM2: it runs the new release when started'),
  );
}

/** The number of instances reloaded; 0 when PM2 runs no instance of it (or no daemon runs: none is started). */
async function reload(home: string, name: string): Promise<number> {
  // Loaded only here: requiring PM2 creates PM2_HOME's directories, which argument errors must not do.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readPm2Processes } = require('./pm2-processes') as typeof import('./pm2-processes');
  const running = (await readPm2Processes(home))?.filter((p) => p.name === name) ?? [];
  if (running.length === 0) {
    note(`PM2 in ${home} runs no instance of ${name}: start it with its script under current/`);
    return 0;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Pm2Client } = require('../pm2/client') as typeof import('../pm2/client');
  const pm2 = await Pm2Client.connect({ home });
  try {
    await pm2.reload(name);
  } catch (err) {
    throw new CliError(`the release is current and recorded, but the PM2 reload of ${name} failed: ${(err as Error).message}`, EXIT_FAILURE);
  } finally {
    await pm2.disconnect();
  }
  return running.length;
}
