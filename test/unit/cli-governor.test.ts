// The governor's commands: their flags, durations, payloads checked with the governor's own schemas
// before anything is sent, and the text `zt governor` prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../../cli/program';
import { formatDuration, parseDuration } from '../../cli/duration';
import { CliError } from '../../cli/errors';
import { governorPayload } from '../../cli/governor-commands';
import { governorText, modeText } from '../../cli/governor-text';
import { governorSettingsSchema, type GovernorView } from '../../signals/governor';
import { GovernorState } from '../../workflows/governor-state';

function find(parent: Command, path: string[]): Command {
  let command = parent;
  for (const name of path) {
    const next = command.commands.find((c) => c.name() === name);
    assert.ok(next, `zt ${path.join(' ')} exists`);
    command = next;
  }
  return command;
}

const longFlags = (command: Command) => command.options.map((o) => o.long ?? '').sort();

function quiet(program: Command): Command {
  const silence = (c: Command) => {
    c.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    c.commands.forEach(silence);
  };
  silence(program);
  return program;
}

test('the governor commands and their flags', () => {
  const program = buildProgram();
  assert.deepEqual(longFlags(find(program, ['mode'])), ['--json', '--operator', '--reason']);
  assert.deepEqual(find(program, ['mode']).registeredArguments[0]?.argChoices, ['auto', 'observe', 'frozen']);
  assert.equal(find(program, ['mode']).registeredArguments[0]?.required, false);
  assert.deepEqual(longFlags(find(program, ['maintenance', 'start'])), ['--for', '--json', '--operator', '--reason', '--until']);
  assert.deepEqual(longFlags(find(program, ['maintenance', 'end'])), ['--json', '--operator', '--reason']);
  assert.deepEqual(longFlags(find(program, ['breaker', 'reset'])), ['--json', '--operator', '--reason']);
  assert.deepEqual(longFlags(find(program, ['governor'])), ['--json']);
  for (const path of [['maintenance', 'start'], ['maintenance', 'end'], ['breaker', 'reset']]) {
    assert.equal(find(program, path).registeredArguments[0]?.required, true, `${path.join(' ')} takes a service`);
  }
});

test('usage errors: an unknown mode, --for with --until, a missing reason, a bad duration', async () => {
  const cases = [
    ['mode', 'yolo'],
    ['maintenance', 'start', 'api', '--for', '30m', '--until', '2026-01-01T00:00:00Z', '--reason', 'x'],
    ['maintenance', 'start', 'api', '--for', '30m'],
    ['maintenance', 'start', 'api', '--for', 'soon', '--reason', 'x'],
    ['breaker', 'reset'],
  ];
  for (const args of cases) {
    await assert.rejects(quiet(buildProgram()).parseAsync(args, { from: 'user' }), CommanderError, args.join(' '));
  }
});

test('durations as operators type them', () => {
  assert.equal(parseDuration('30m'), 30 * 60_000);
  assert.equal(parseDuration('1h30m'), 90 * 60_000);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('2d'), 2 * 86_400_000);
  assert.equal(parseDuration('500ms'), 500);
  for (const bad of ['', '30', 'm', '1.5h', '-5m', '0m', '30 minutes']) assert.throws(() => parseDuration(bad), bad);
  assert.equal(formatDuration(3_600_000), '1h');
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(300_000), '5m');
  assert.equal(formatDuration(250), '250ms');
});

test("payloads are checked with the governor's schemas before sending", () => {
  assert.deepEqual(governorPayload('setMode', { operator: ' alice ', mode: 'observe', reason: undefined }), { operator: 'alice', mode: 'observe' });
  assert.deepEqual(governorPayload('startMaintenance', { operator: 'alice', service: 'api', durationMs: 1_800_000, reason: 'db' }), {
    operator: 'alice',
    service: 'api',
    durationMs: 1_800_000,
    reason: 'db',
  });
  const refused = (run: () => unknown, message: RegExp) =>
    assert.throws(run, (err: unknown) => err instanceof CliError && err.exitCode === 2 && message.test(err.message));
  refused(() => governorPayload('setMode', { operator: '', mode: 'auto' }), /invalid setMode payload: operator: operator is required \(pass --operator NAME or set ZT_OPERATOR\)/);
  refused(() => governorPayload('startMaintenance', { operator: 'a', service: 'api', durationMs: 8 * 86_400_000, reason: 'x' }), /durationMs/);
  refused(() => governorPayload('startMaintenance', { operator: 'a', service: 'api', untilIso: 'tomorrow', reason: 'x' }), /untilIso/);
  refused(() => governorPayload('resetBreaker', { operator: 'a', service: 'Not A Service' }), /service/);
});

test('zt governor prints mode, bounds, one row per service and the recent audit', () => {
  const t0 = Date.parse('2026-01-05T10:00:00Z');
  const g = new GovernorState({ mode: 'auto', settings: governorSettingsSchema.parse({ knownServices: ['api', 'web'], operators: ['alice'] }) }, t0, 'g');
  g.requestPermit({ incidentWorkflowId: 'incident-api.availability', incidentId: 'INC-A', service: 'api', action: 'pm2-restart', takesOutOfService: 1, instances: 2 }, t0);
  g.receive('startMaintenance', { operator: 'alice', service: 'web', durationMs: 1_800_000, reason: 'kernel update' }, t0);
  g.receive('setMode', { operator: 'mallory', mode: 'frozen' }, t0);
  const view: GovernorView = g.view(t0);
  const text = governorText(view);
  assert.match(text, /^mode {7}auto \(since 2026-01-05T10:00:00Z, set by config: initial mode from config policy.mode\)$/m);
  assert.match(text, /^operators {2}alice$/m);
  assert.match(text, /^bounds {5}6 actions\/hour per service, at most 50% of instances out at once, lease 5m, breaker at 3 remediations in 1h$/m);
  assert.match(text, /^SERVICE\s+MAINTENANCE\s+BUDGET\s+LEASE\s+BREAKER$/m);
  assert.match(text, /^api\s+-\s+1\/6\s+INC-A pm2-restart until 2026-01-05T10:05:00Z\s+closed 0\/3 in 1h$/m);
  assert.match(text, /^web\s+until 2026-01-05T10:30:00Z \(alice: kernel update\)\s+0\/6\s+-\s+closed 0\/3 in 1h$/m);
  assert.match(text, /mallory {2}rejected \(ignored\) {2}ignored setMode from mallory: not on the operator allowlist/);
  assert.equal(modeText({ mode: 'observe', since: '2026-01-05T10:00:00.000Z', by: 'bob', reason: 'drill' }), 'observe (since 2026-01-05T10:00:00Z, set by bob: drill)');
});
