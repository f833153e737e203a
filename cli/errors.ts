// Exit codes scripts can rely on: 0 done, 1 something broke while doing it, 2 the request itself
// cannot be carried out (bad input, unknown incident, Temporal or config unusable).
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** An error whose message is meant for the operator as is, with the exit code it implies. */
export class CliError extends Error {
  override name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
  }
}
