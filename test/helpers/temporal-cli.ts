// Drives the stock Temporal CLI the way an operator does: `temporal workflow signal …` and
// `temporal workflow query …`, against the test's server.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findOrBuildTemporalCli } from '../../temporal/cli-binary';

const run = promisify(execFile);

export async function temporalCli(address: string, args: string[]): Promise<string> {
  const cli = await findOrBuildTemporalCli({ log: console });
  if (!cli) throw new Error('these tests drive the stock Temporal CLI, and none could be found or built');
  const { stdout } = await run(cli, [...args, '--address', address], { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export function cliSignal(address: string, workflowId: string, name: string, input: unknown): Promise<string> {
  return temporalCli(address, ['workflow', 'signal', '--workflow-id', workflowId, '--name', name, '--input', JSON.stringify(input)]);
}

/** `temporal workflow query --name status -o json`, unwrapped to the query's value. */
export async function cliQuery<T>(address: string, workflowId: string, name: string): Promise<T> {
  const out = await temporalCli(address, ['workflow', 'query', '--workflow-id', workflowId, '--name', name, '--output', 'json']);
  if (process.env.ZT_DEBUG_CLI) console.error(out);
  const parsed = JSON.parse(out) as { queryResult?: T[] } | T[];
  const values = Array.isArray(parsed) ? parsed : parsed.queryResult;
  if (!values?.length) throw new Error(`unexpected query output: ${out.slice(0, 200)}`);
  return values[0]!;
}
