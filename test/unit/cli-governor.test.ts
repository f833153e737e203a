// The governor's commands: their flags, durations, payloads checked with the governor's own schemas
// before anything is sent, and the text `zt governor` prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../../cli/program';
import { formatDuration, parseDuration } from '../../cli/duration';
import { CliError } from '../../cli/errors';
import { governorPayload, limitFields, parseCount, parseShare } from '../../cli/governor-commands';
import { governorText, limitsTable, modeText, serviceLimitsText } from '../../cli/governor-text';
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
  assert.deepEqual(longFlags(find(program, ['limits'])), ['--json']);
  assert.equal(find(program, ['limits']).registeredArguments[0]?.required, false, 'zt limits without a service shows every service');
  assert.deepEqual(longFlags(find(program, ['limits', 'set'])), [
    '--actions-per-hour',
    '--breaker-max',
    '--breaker-window',
    '--json',
    '--max-instance-share',
    '--operator',
    '--reason',
  ]);
  assert.deepEqual(longFlags(find(program, ['limits', 'clear'])), ['--json', '--operator', '--reason']);
  for (const path of [['maintenance', 'start'], ['maintenance', 'end'], ['breaker', 'reset'], ['limits', 'set'], ['limits', 'clear']]) {
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
    ['limits', 'set', 'api', '--actions-per-hour', '2'],
    ['limits', 'set', 'api', '--actions-per-hour', '2.5', '--reason', 'x'],
    ['limits', 'set', 'api', '--actions-per-hour', 'many', '--reason', 'x'],
    ['limits', 'set', 'api', '--max-instance-share', 'half', '--reason', 'x'],
    ['limits', 'set', 'api', '--breaker-window', 'soon', '--reason', 'x'],
    ['limits', 'clear'],
  ];
  for (const args of cases) {
    await assert.rejects(quiet(buildProgram()).parseAsync(args, { from: 'user' }), CommanderError, args.join(' '));
  }
});

test('zt limits dispatches to set and clear, and --json reaches them wherever it is typed', async () => {
  const seen: Array<[string, unknown, Record<string, unknown>]> = [];
  const capture = (args: string[]) => {
    const program = quiet(buildProgram());
    find(program, ['limits']).action((service: unknown, _opts: unknown, cmd: Command) => void seen.push(['show', service, cmd.optsWithGlobals()]));
    for (const name of ['set', 'clear']) {
      find(program, ['limits', name]).action((service: unknown, _opts: unknown, cmd: Command) => void seen.push([name, service, cmd.optsWithGlobals()]));
    }
    return program.parseAsync(args, { from: 'user' });
  };
  await capture(['limits']);
  await capture(['limits', 'api', '--json']);
  await capture(['limits', 'set', 'api', '--actions-per-hour', '2', '--max-instance-share', '50%', '--breaker-max', '4', '--breaker-window', '1h', '--reason', 'noisy', '--json']);
  await capture(['limits', 'clear', 'api', '--json']);
  assert.deepEqual(seen, [
    ['show', undefined, {}],
    ['show', 'api', { json: true }],
    ['set', 'api', { actionsPerHour: 2, maxInstanceShare: 0.5, breakerMax: 4, breakerWindow: 3_600_000, reason: 'noisy', json: true }],
    ['clear', 'api', { json: true }],
  ]);
});

test('limit flags become a setLimits payload checked with the governor schema', () => {
  assert.equal(parseCount('6'), 6);
  assert.equal(parseCount(' 0 '), 0);
  for (const bad of ['', '-1', '1.5', '1e3', 'six']) assert.throws(() => parseCount(bad), bad);
  assert.equal(parseShare('0.5'), 0.5);
  assert.equal(parseShare('.25'), 0.25);
  assert.equal(parseShare('50%'), 0.5);
  assert.equal(parseShare('100%'), 1);
  for (const bad of ['', 'half', '-0.5', '50 %', '0.5%%']) assert.throws(() => parseShare(bad), bad);

  const fields = { service: 'api', operator: 'alice', reason: 'noisy deploy' };
  assert.deepEqual(governorPayload('setLimits', { ...fields, ...limitFields({ actionsPerHour: 2 }) }), { ...fields, actionsPerHour: 2 });
  assert.deepEqual(governorPayload('setLimits', { ...fields, ...limitFields({ breakerWindow: 1_800_000 }) }), { ...fields, breaker: { windowMs: 1_800_000 } });
  assert.deepEqual(governorPayload('setLimits', { ...fields, ...limitFields({ maxInstanceShare: 1, breakerMax: 2, breakerWindow: 60_000 }) }), {
    ...fields,
    maxInstanceShare: 1,
    breaker: { maxRemediations: 2, windowMs: 60_000 },
  });
  assert.deepEqual(governorPayload('clearLimits', { service: 'api', operator: 'alice', reason: undefined }), { service: 'api', operator: 'alice' });
  const refused = (fieldsIn: Record<string, unknown>, message: RegExp) =>
    assert.throws(
      () => governorPayload('setLimits', fieldsIn),
      (err: unknown) => err instanceof CliError && err.exitCode === 2 && message.test(err.message),
      JSON.stringify(fieldsIn),
    );
  refused({ ...fields, ...limitFields({}) }, /invalid setLimits payload: \(root\): give at least one limit/);
  refused({ ...fields, ...limitFields({ actionsPerHour: 10_001 }) }, /actionsPerHour/);
  refused({ ...fields, ...limitFields({ maxInstanceShare: 1.5 }) }, /maxInstanceShare/);
  refused({ ...fields, ...limitFields({ breakerMax: 0 }) }, /breaker\.maxRemediations/);
  refused({ ...fields, ...limitFields({ breakerWindow: 8 * 86_400_000 }) }, /breaker\.windowMs/);
  refused({ service: 'api', operator: 'alice', ...limitFields({ actionsPerHour: 1 }) }, /reason/);
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

test('zt limits and zt governor show runtime limits and where each limit comes from', () => {
  const t0 = Date.parse('2026-01-05T10:00:00Z');
  const settings = governorSettingsSchema.parse({ knownServices: ['api', 'web'], services: { api: { breaker: { windowMs: 1_800_000 } } } });
  const g = new GovernorState({ mode: 'auto', settings }, t0, 'g');
  const untouched = governorText(g.view(t0));
  assert.doesNotMatch(untouched, /Runtime limits/);

  g.receive('setLimits', { operator: 'alice', service: 'api', actionsPerHour: 2, breaker: { maxRemediations: 5 }, reason: 'noisy deploy' }, t0);
  const view = g.view(t0);
  const api = view.services.find((s) => s.service === 'api')!;
  const one = serviceLimitsText(api);
  assert.match(one, /^limits of api \(runtime > config > default\)$/m);
  assert.match(one, /^LIMIT\s+VALUE\s+FROM\s+CONFIG\s+RUNTIME OVERRIDE$/m);
  assert.match(one, /^actionsPerHour\s+2\s+runtime\s+6 \(default\)\s+alice at 2026-01-05T10:00:00Z: noisy deploy$/m);
  assert.match(one, /^maxInstanceShare\s+0\.5\s+default\s+0\.5 \(default\)\s+-$/m);
  assert.match(one, /^breaker\.maxRemediations\s+5\s+runtime\s+3 \(default\)\s+alice at/m);
  assert.match(one, /^breaker\.windowMs\s+30m\s+config\s+30m \(config\)\s+-$/m);
  assert.match(one, /`zt limits clear api`/);

  const all = limitsTable(view.services);
  assert.match(all, /^SERVICE\s+ACTIONS\/HOUR\s+MAX SHARE\s+BREAKER MAX\s+BREAKER WINDOW$/m);
  assert.match(all, /^api\s+2 \(runtime\)\s+0\.5 \(default\)\s+5 \(runtime\)\s+30m \(config\)$/m);
  assert.match(all, /^web\s+6 \(default\)\s+0\.5 \(default\)\s+3 \(default\)\s+1h \(default\)$/m);

  const text = governorText(view);
  assert.match(text, /^api\s+-\s+0\/2\s+-\s+closed 0\/5 in 30m$/m);
  assert.match(text, /^Runtime limits \(win over config until `zt limits clear <service>`\)$/m);
  assert.match(text, /^api\s+actionsPerHour\s+2\s+6 \(default\)\s+alice at 2026-01-05T10:00:00Z: noisy deploy$/m);
  assert.match(text, /^api\s+breaker\.maxRemediations\s+5\s+3 \(default\)\s+alice at/m);
  assert.match(text, /alice {2}limits-set {2}alice set runtime limits of api/);
});
