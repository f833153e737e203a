// One subcommand per human signal. The payload is validated before Temporal is contacted, and only an
// open incident is signalled: a signal to a closed run would be lost without anyone noticing.
import type { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/client';
import { humanSignals } from '../signals/contract';
import type { HumanSignalName } from '../signals/human';
import { loadCliConfig } from './config';
import { CliError } from './errors';
import { printJson, printText } from './output';
import { signalPayload, type SignalOptions } from './payload';
import { findOpenIncident, REF_HELP } from './refs';
import { withTemporal } from './temporal';

interface SignalCommand {
  command: string;
  signal: HumanSignalName;
  description: string;
}

export const SIGNAL_COMMANDS: readonly SignalCommand[] = [
  { command: 'pause', signal: 'pause', description: 'stop automation at its next step boundary until resume' },
  { command: 'resume', signal: 'resume', description: 'let automation continue after a pause' },
  { command: 'takeover', signal: 'takeOver', description: 'take control: no automatic action runs until release' },
  { command: 'release', signal: 'release', description: 'hand control back to automation (an escalated incident gets a fresh attempt budget)' },
  { command: 'approve', signal: 'approve', description: 'approve the follow-up action that awaits approval' },
  { command: 'reject', signal: 'reject', description: 'reject the follow-up action that awaits approval' },
  { command: 'resolve', signal: 'resolve', description: 'close the incident as resolved by a human' },
  { command: 'revert', signal: 'revert', description: 'undo every recorded action, newest first' },
];

export function registerSignalCommands(program: Command): void {
  for (const { command, signal, description } of SIGNAL_COMMANDS) {
    const sub = program
      .command(command)
      .description(`${description} (signal ${signal})`)
      .argument('<ref>', REF_HELP)
      .option('--operator <name>', 'who is acting (default: $ZT_OPERATOR, then $USER)')
      .option('--reason <text>', 'why, recorded in the incident history');
    if (signal === 'resolve') {
      sub
        .option('--root-cause <text>', 'the root cause, for the report')
        .option('--fix <text>', 'what fixed it, for the report')
        .option('--class <class>', 'the incident class it really was, for the signature drafted from this resolution')
        .option('--action <action>', 'the approved action that fixed it (e.g. flush-cache): the drafted signature acts with it next time');
    }
    sub.option('--json', 'print {workflowId, signal, payload}').action((ref: string, opts: SignalOptions & { json?: boolean }) =>
      sendSignal(signal, ref, opts),
    );
  }
}

async function sendSignal(signal: HumanSignalName, ref: string, opts: SignalOptions & { json?: boolean }): Promise<void> {
  const payload = signalPayload(signal, opts);
  const config = loadCliConfig();
  const workflowId = await withTemporal(config, async ({ client }) => {
    const { handle } = await findOpenIncident(client, ref);
    try {
      await handle.signal(humanSignals[signal], payload);
    } catch (err) {
      // It closed between the lookup and the signal.
      if (err instanceof WorkflowNotFoundError) throw new CliError(`no open incident ${ref}`);
      throw err;
    }
    return handle.workflowId;
  });
  if (opts.json) return printJson({ workflowId, signal, payload });
  printText(`sent ${signal} to ${workflowId} as ${payload.operator}: ${JSON.stringify(payload)}`);
}
