// The `zt` command tree. Every command reads config the way the workers do and exits 2 when the
// request cannot be carried out (see errors.ts).
import { Command } from 'commander';
import { version } from '../package.json';
import { registerAuditCommand } from './audit-command';
import { registerDeployCommand } from './deploy-command';
import { registerDrillCommand } from './drill-command';
import { registerGovernorCommands } from './governor-commands';
import { registerIncidentsCommand } from './incidents-command';
import { registerReportCommand } from './report-command';
import { registerServicesCommand } from './services-command';
import { registerShowCommand } from './show-command';
import { registerSignalCommands } from './signal-commands';

const ENVIRONMENT_HELP = `
Environment:
  TEMPORAL_ADDRESS    Temporal frontend (default 127.0.0.1:7233, where \`npm start\` serves it)
  TEMPORAL_NAMESPACE  Temporal namespace (default "default")
  ZT_CONFIG           config file path or inline JSON (services, PM2 home, …)
  PM2_HOME            PM2 daemon to read when the config names none (default ~/.pm2)
  ZT_OPERATOR         operator name sent with signals when --operator is not given (else $USER)

Exit codes: 0 done, 1 failed while doing it, 2 the request cannot be carried out
(bad arguments or payload, unknown incident, Temporal unreachable, invalid config).`;

export function buildProgram(): Command {
  const program = new Command('zt')
    .description('Operate zero-touch: inspect services and incidents, steer incidents with signals, and steer the governor')
    .version(version)
    .showHelpAfterError('(add --help for usage)')
    // `zt --version` is the CLI's; after a subcommand, `--version` is that command's (`zt deploy … --version V`).
    .enablePositionalOptions()
    // Set before the subcommands exist so they inherit it: zt.ts maps commander's exits to ours.
    .exitOverride();
  registerServicesCommand(program);
  registerIncidentsCommand(program);
  registerShowCommand(program);
  registerSignalCommands(program);
  registerGovernorCommands(program);
  registerDeployCommand(program);
  registerDrillCommand(program);
  registerReportCommand(program);
  registerAuditCommand(program);
  program.addHelpText('after', ENVIRONMENT_HELP);
  return program;
}
