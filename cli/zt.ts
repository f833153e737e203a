// Entry point of the `zt` CLI (bin/zt.js loads it through tsx).
import { CommanderError } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors';
import { note, routeConsoleToStderr } from './output';
import { buildProgram } from './program';

/** Tells the operator what went wrong and returns the exit code it implies. */
function reportError(err: unknown): number {
  // Commander has already printed its own message (usage error, help, version).
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
  if (err instanceof CliError) {
    note(`zt: ${err.message}`);
    return err.exitCode;
  }
  // Unexpected: the stack is what a bug report needs.
  note(`zt: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return EXIT_FAILURE;
}

routeConsoleToStderr();
buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.exitCode = reportError(err);
  });
