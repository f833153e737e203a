// `tsx temporal/ensure-cli.ts`: find or build the Temporal CLI and print its path. CI runs it as a separate
// step so the minutes-long first build is cached and visible on its own, not hidden inside the test timeout.
import { findOrBuildTemporalCli } from './cli-binary';

const log = {
  info: (msg: string) => console.error(msg),
  warn: (msg: string) => console.error(`warning: ${msg}`),
};

findOrBuildTemporalCli({ log }).then(
  (cli) => {
    if (!cli) {
      console.error('no Temporal CLI available (Go missing or the build failed); the SDK download will be used instead');
      process.exitCode = 1;
      return;
    }
    console.log(cli);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
