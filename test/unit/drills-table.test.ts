// The table `npm run drill` prints and the report it writes, on known runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DRILLS } from '../../drills/catalog';
import { buildReport } from '../../drills/report';
import { summariseDrill } from '../../drills/summary';
import { actionsText, baselineText, drillTable, outcomesText, ratioText } from '../../drills/table';
import type { DrillRun } from '../../drills/types';

function run(drill: string, n: number, recoverSeconds: number | null, o: Partial<DrillRun> = {}): DrillRun {
  const spec = DRILLS.find((d) => d.id === drill)!;
  return {
    drill,
    class: spec.class,
    run: n,
    outcome: 'auto-resolved',
    classified: spec.class,
    detectSeconds: 2,
    mitigateSeconds: 5,
    recoverSeconds,
    actions: ['pm2-restart'],
    baselinePm2Seconds: null,
    passed: true,
    why: 'ok',
    incidentIds: [`INC-${n}`],
    escalation: null,
    ...o,
  };
}

test('cells: PM2 alone, the ratio, outcomes and actions', () => {
  assert.equal(baselineText(null), 'never');
  assert.equal(baselineText(1.234), '1.2 s');
  assert.equal(baselineText(undefined), 'n/a');
  assert.equal(ratioText(null, null, true), '∞');
  assert.equal(ratioText(1, 0.25, true), '0.3×');
  assert.equal(ratioText(undefined, null, true), '—');
  assert.equal(ratioText(5, 1, false), '—');
  const runs = [run('deadlock', 1, 9), run('deadlock', 2, 9), run('deadlock', 3, null, { outcome: 'escalated', actions: ['pm2-restart', 'pm2-restart (not verified)'] })];
  assert.equal(outcomesText(runs), 'auto-resolved ×2, escalated');
  assert.equal(actionsText(runs), 'pm2-restart ×2 | pm2-restart → pm2-restart (not verified) ×1');
  assert.equal(actionsText([run('deadlock', 1, 9)]), 'pm2-restart');
  assert.equal(actionsText([run('fp-dns-blip', 1, null, { actions: [] })]), 'none');
});

test('one row per drill run, with p50/p95, PM2 alone, ratio and the verdict', () => {
  const runs = [
    run('process-crash', 1, 4, { outcome: 'recovered-without-action', actions: [], mitigateSeconds: null, baselinePm2Seconds: 1.1 }),
    run('process-crash', 2, 4.6, { outcome: 'recovered-without-action', actions: [], mitigateSeconds: null, baselinePm2Seconds: 1.1 }),
    ...[8, 9, 12].map((s, i) => run('deadlock', i + 1, s)),
    run('esc-billing', 1, null, { outcome: 'escalated', actions: [], baselinePm2Seconds: undefined }),
  ];
  const summaries = DRILLS.map((d) => summariseDrill(d, runs));
  const table = drillTable(DRILLS, summaries, runs).split('\n');
  assert.match(table[0]!, /^drill\s+class\s+runs\s+outcome\s+detect\s+mitigate\s+recover p50\/p95\s+PM2 alone\s+ratio\s+actions\s+pass$/);
  assert.equal(table.length, 2 + 3);
  const crash = table.find((l) => l.startsWith('process-crash'))!;
  assert.match(crash, /recovered-without-action ×2\s+2\.0\s+—\s+4\.0 \/ 4\.6\s+1\.1 s\s+0\.3×\s+none\s+PASS$/);
  const hang = table.find((l) => l.startsWith('deadlock'))!;
  assert.match(hang, /9\.0 \/ 12\.0\s+never\s+∞\s+pm2-restart\s+FAIL \(p95 12\.0 s > 10 s\)$/);
  const esc = table.find((l) => l.startsWith('esc-billing'))!;
  assert.match(esc, /escalated\s+2\.0\s+5\.0\s+—\s+n\/a\s+—\s+none\s+PASS$/);
});

test('the report has the machine, every run and the summaries per drill and class', () => {
  const runs = [run('deadlock', 1, 9), run('deadlock', 2, 9.5)];
  const report = buildReport(DRILLS, runs, { startedAt: new Date('2026-11-30T16:00:00Z'), endedAt: new Date('2026-11-30T16:01:00Z'), runs: 2, names: ['deadlock'], baselineLimitSeconds: 30 });
  assert.equal(report.startedAt, '2026-11-30T16:00:00.000Z');
  assert.ok(report.machine.cpus >= 1);
  assert.match(report.machine.node, /^v\d+/);
  assert.equal(report.runs.length, 2);
  for (const key of ['drill', 'class', 'outcome', 'detectSeconds', 'mitigateSeconds', 'recoverSeconds', 'actions', 'baselinePm2Seconds']) assert.ok(key in report.runs[0]!, key);
  assert.deepEqual(report.summary.drills.map((d) => [d.drill, d.recoverP95, d.passed]), [['deadlock', 9.5, true]]);
  assert.deepEqual(report.summary.classes.map((c) => c.class), ['deadlock']);
  assert.equal(report.summary.passed, true);
});
