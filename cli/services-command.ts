// `zt services`: every configured service and its PM2 state — what the sentinel watches.
import type { Command } from 'commander';
import { effectiveServices } from '../config/services';
import { pm2HomeOf } from '../config/paths';
import { loadCliConfig } from './config';
import { note, printJson, printText } from './output';
import { serviceState, servicesTable } from './service-states';

export function registerServicesCommand(program: Command): void {
  program
    .command('services')
    .description('list the configured services with their PM2 state (online, degraded, down, absent)')
    .option('--json', 'print [{name, status, pids, healthUrl, instances}] as JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = loadCliConfig();
      const home = pm2HomeOf(config);
      // Loaded only here: requiring PM2 creates PM2_HOME's directories, which no other command should do.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { readPm2Processes } = require('./pm2-processes') as typeof import('./pm2-processes');
      const processes = await readPm2Processes(home);
      if (processes === null) note(`no PM2 daemon is running in ${home}: every service is absent`);
      const services = effectiveServices(config);
      const states = services.map((service) => serviceState(service, processes ?? []));
      if (opts.json) return printJson(states);
      printText(servicesTable(states.map((state, i) => ({ state, expected: services[i]?.instances ?? 0 }))));
    });
}
