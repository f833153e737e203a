// The command tree: every human signal has its subcommand with the right flags, and commander's exits
// are overridable so the entry point can give usage errors exit code 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../../cli/program';
import { SIGNAL_COMMANDS } from '../../cli/signal-commands';
import { HUMAN_SIGNALS } from '../../signals/human';

function sub(program: Command, name: string): Command {
  const found = program.commands.find((c) => c.name() === name);
  assert.ok(found, `zt ${name} exists`);
  return found;
}

function longFlags(command: Command): string[] {
  return command.options.map((o) => o.long ?? '').sort();
}

test('every human signal of the contract has exactly one subcommand', () => {
  assert.deepEqual(SIGNAL_COMMANDS.map((c) => c.signal).sort(), [...HUMAN_SIGNALS].sort());
  assert.equal(SIGNAL_COMMANDS.find((c) => c.signal === 'takeOver')?.command, 'takeover');
});

test('the command tree has the read commands and every signal command', () => {
  const names = buildProgram().commands.map((c) => c.name());
  for (const name of ['services', 'incidents', 'show', ...SIGNAL_COMMANDS.map((c) => c.command)]) assert.ok(names.includes(name), name);
});

test('signal commands take a ref, --operator, --reason and --json; resolve also root cause, fix, class and action', () => {
  const program = buildProgram();
  assert.deepEqual(longFlags(sub(program, 'pause')), ['--json', '--operator', '--reason']);
  assert.deepEqual(longFlags(sub(program, 'resolve')), ['--action', '--class', '--fix', '--json', '--operator', '--reason', '--root-cause']);
  assert.equal(sub(program, 'takeover').registeredArguments[0]?.required, true);
});

test('incidents has its filters, with --limit defaulting to 50', () => {
  const incidents = sub(buildProgram(), 'incidents');
  assert.deepEqual(longFlags(incidents), ['--closed', '--json', '--limit', '--open', '--service', '--source']);
  assert.equal(incidents.options.find((o) => o.long === '--limit')?.defaultValue, 50);
});

test('usage errors surface as CommanderError instead of exiting the process', async () => {
  const program = buildProgram();
  for (const command of [program, ...program.commands]) command.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  await assert.rejects(program.parseAsync(['incidents', '--open', '--closed'], { from: 'user' }), (err: unknown) => {
    assert.ok(err instanceof CommanderError);
    assert.equal(err.code, 'commander.conflictingOption');
    return true;
  });
  await assert.rejects(program.parseAsync(['incidents', '--limit', 'lots'], { from: 'user' }), CommanderError);
  await assert.rejects(program.parseAsync(['show'], { from: 'user' }), CommanderError);
});
