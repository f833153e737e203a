// The pure parts of `npm run drill`: the pass rule of each kind of drill, nearest-rank p50/p95, the
// per-drill and per-class verdict against the acceptance targets, the PM2-alone ratio, the selection of
// drills by name and the command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../drills/args';
import { DRILLS, selectDrills, TARGET_SECONDS } from '../../drills/catalog';
import { judgeRun, quantile, ratioOf, summariseClasses, summariseDrill, type Observed } from '../../drills/summary';
import type { DrillRun, DrillSpec } from '../../drills/types';
import { INCIDENT_CLASSES } from '../../policy/types';

const spec = (id: string): DrillSpec => DRILLS.find((d) => d.id === id)!;
const obs = (o: Partial<Observed>): Observed => ({ outcome: null, classified: null, actions: [], escalated: false, ...o });
const act = (action: string) => ({ action, performed: true });

function run(drill: string, recoverSeconds: number | null, passed = true, extra: Partial<DrillRun> = {}): DrillRun {
  return {
    drill,
    class: spec(drill).class,
    run: 1,
    outcome: 'auto-resolved',
    classified: spec(drill).class,
    detectSeconds: 1,
    mitigateSeconds: 2,
    recoverSeconds,
    actions: ['pm2-restart'],
    baselinePm2Seconds: undefined,
    passed,
    why: '',
    incidentIds: [],
    escalation: null,
    ...extra,
  };
}

test('every incident class has a class drill, and every drill id is unique', () => {
  for (const cls of INCIDENT_CLASSES) assert.ok(DRILLS.some((d) => d.kind === 'class' && d.class === cls && d.id === cls), cls);
  assert.equal(new Set(DRILLS.map((d) => d.id)).size, DRILLS.length);
  assert.equal(spec('process-crash').targetSeconds, TARGET_SECONDS.crash);
  assert.equal(spec('deadlock').targetSeconds, TARGET_SECONDS.hang);
  assert.equal(spec('lb-imbalance').targetSeconds, TARGET_SECONDS.anyClass);
  assert.equal(spec('fp-probe-blip').targetSeconds, null);
});

test('nearest-rank quantiles', () => {
  assert.equal(quantile([], 0.95), null);
  assert.equal(quantile([4], 0.95), 4);
  assert.equal(quantile([1, 2, 3, 4, 5], 0.5), 3);
  assert.equal(quantile([1, 2, 3, 4, 5], 0.95), 5);
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2);
  assert.equal(quantile(Array.from({ length: 20 }, (_, i) => i + 1), 0.95), 19);
});

test('a recovery drill passes only auto-resolved with an action and the right class', () => {
  const s = spec('deadlock');
  assert.equal(judgeRun(s, obs({ outcome: 'auto-resolved', classified: 'deadlock', actions: [act('pm2-restart')] })).passed, true);
  assert.equal(judgeRun(s, obs({ outcome: 'recovered-without-action', classified: 'deadlock' })).passed, false);
  const wrong = judgeRun(s, obs({ outcome: 'auto-resolved', classified: 'cpu-spike', actions: [act('pm2-restart')] }));
  assert.equal(wrong.passed, false);
  assert.match(wrong.why, /classified cpu-spike, not deadlock/);
  assert.equal(judgeRun(s, obs({})).passed, false);
  assert.match(judgeRun(s, obs({})).why, /no incident/);
});

test('a crash may close with or without action; a verify-only class must take none', () => {
  const crash = spec('process-crash');
  assert.equal(judgeRun(crash, obs({ outcome: 'recovered-without-action', classified: 'process-crash' })).passed, true);
  assert.equal(judgeRun(crash, obs({ outcome: 'auto-resolved', classified: 'process-crash', actions: [act('pm2-restart')] })).passed, true);
  assert.equal(judgeRun(crash, obs({ outcome: 'escalated', classified: 'process-crash', escalated: true })).passed, false);
  const dns = spec('dns-failure');
  assert.equal(judgeRun(dns, obs({ outcome: 'recovered-without-action', classified: 'dns-failure' })).passed, true);
  assert.equal(judgeRun(dns, obs({ outcome: 'recovered-without-action', classified: 'dns-failure', actions: [act('pm2-restart')] })).passed, false);
});

test('a false positive passes with no incident or incidents that did nothing', () => {
  const fp = spec('fp-cpu-burst');
  assert.deepEqual(judgeRun(fp, obs({})), { passed: true, why: 'no incident' });
  assert.equal(judgeRun(fp, obs({ outcome: 'recovered-without-action' })).passed, true);
  const acted = judgeRun(fp, obs({ outcome: 'auto-resolved', actions: [act('scale-up')] }));
  assert.equal(acted.passed, false);
  assert.match(acted.why, /1 action\(s\) \(scale-up\)/);
});

test('an escalation drill passes escalated without action; fails-twice after exactly two attempts and no more', () => {
  const billing = spec('esc-billing');
  assert.equal(judgeRun(billing, obs({ escalated: true, outcome: 'escalated' })).passed, true);
  assert.equal(judgeRun(billing, obs({ escalated: true, outcome: 'escalated', actions: [act('pm2-restart')] })).passed, false);
  assert.equal(judgeRun(billing, obs({ outcome: 'auto-resolved', actions: [act('pm2-restart')] })).passed, false);
  const twice = spec('esc-fails-twice');
  const two = [act('pm2-restart'), act('pm2-restart')];
  assert.equal(judgeRun(twice, obs({ escalated: true, actions: two, actionsAfterEscalation: 0 })).passed, true);
  assert.equal(judgeRun(twice, obs({ escalated: true, actions: [...two, act('pm2-restart')], actionsAfterEscalation: 1 })).passed, false);
  assert.equal(judgeRun(twice, obs({ escalated: true, actions: [act('pm2-restart')] })).passed, false);
});

test('a drill passes when every run passed and its p95 is within the target', () => {
  const ok = summariseDrill(spec('deadlock'), [8, 9, 9.5, 9.8, 9.9].map((s) => run('deadlock', s)));
  assert.equal(ok.recoverP50, 9.5);
  assert.equal(ok.recoverP95, 9.9);
  assert.equal(ok.passed, true, ok.why);
  const slow = summariseDrill(spec('deadlock'), [8, 9, 9.5, 9.8, 10.4].map((s) => run('deadlock', s)));
  assert.equal(slow.passed, false);
  assert.match(slow.why, /p95 10\.4 s > 10 s/);
  const failedRun = summariseDrill(spec('deadlock'), [run('deadlock', 8), run('deadlock', null, false)]);
  assert.equal(failedRun.passed, false);
  assert.match(failedRun.why, /1 of 2 run\(s\) failed; 1 run\(s\) never recovered/);
  assert.equal(summariseDrill(spec('deadlock'), []).passed, false);
  const fp = summariseDrill(spec('fp-dns-blip'), [run('fp-dns-blip', null)]);
  assert.equal(fp.passed, true, fp.why);
});

test('the ratio is PM2 alone over zero-touch; never when PM2 alone never recovered', () => {
  assert.equal(ratioOf(30, 10), 3);
  assert.equal(ratioOf(null, 10), null);
  assert.equal(ratioOf(undefined, 10), null);
  assert.equal(ratioOf(5, null), null);
  const s = summariseDrill(spec('process-crash'), [run('process-crash', 4, true, { baselinePm2Seconds: 1 }), run('process-crash', 4.4, true, { baselinePm2Seconds: 1 })]);
  assert.equal(s.baselinePm2Seconds, 1);
  assert.equal(s.ratio, 0.25);
});

test('the class summary covers the class drills run, with their targets', () => {
  const runs = [run('process-crash', 4.2), run('process-crash', 5.3), run('memory-leak', 12), run('load-spike', 9)];
  const classes = summariseClasses(DRILLS, runs);
  assert.deepEqual(
    classes.map((c) => [c.class, c.recoverP95, c.targetSeconds, c.passed]),
    [
      ['process-crash', 5.3, 5, false],
      ['memory-leak', 12, 20, true],
    ],
  );
});

test('drills are selected by id, class or family; unknown names are returned', () => {
  assert.deepEqual(selectDrills(['deadlock']).drills.map((d) => d.id), ['deadlock']);
  assert.deepEqual(selectDrills(['escalations']).drills.map((d) => d.id), ['esc-billing', 'esc-security', 'esc-low-confidence', 'esc-fails-twice']);
  assert.deepEqual(selectDrills(['load-spike', 'dns-failure']).drills.map((d) => d.id), ['dns-failure', 'load-spike']);
  assert.deepEqual(selectDrills(['nope']).unknown, ['nope']);
  assert.equal(selectDrills([]).drills.length, DRILLS.length);
});

test('the command line', () => {
  assert.deepEqual(parseArgs(['deadlock', '--runs', '3', '--json']), { names: ['deadlock'], runs: 3, json: true, baseline: true, baselineLimitMs: 30_000 });
  assert.deepEqual(parseArgs(['--no-baseline', '--baseline-limit', '60']), { names: [], runs: null, json: false, baseline: false, baselineLimitMs: 60_000 });
  assert.throws(() => parseArgs(['--runs', '0']), /positive integer/);
  assert.throws(() => parseArgs(['--runs']), /needs a value/);
  assert.throws(() => parseArgs(['--fast']), /unknown option --fast/);
});
