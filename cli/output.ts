// The only writers of the CLI's output. stdout carries results (pure JSON with --json); everything
// else — progress, warnings, library chatter — goes to stderr so `zt … --json | jq` always parses.
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printText(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

/**
 * Libraries (PM2 especially) print with console.log; sending console output to stderr keeps stdout
 * for results only.
 */
export function routeConsoleToStderr(): void {
  const toStderr = (...args: unknown[]) => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}
