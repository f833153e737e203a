// `npm run drill [name…] [--runs N] [--json] [--no-baseline] [--baseline-limit S]`: the drills of issue 7 on
// the real system. Names are drill ids, classes or families (docs/drills.md); none runs them all. Prints
// each run as it ends, then the table, and writes reports/drills.json. Exit 0 when every drill passed.
import { parseArgs, type DrillArgs } from './args';
import { availability } from './availability';
import { DRILLS, FAMILIES, selectDrills } from './catalog';
import { escalations } from './escalations';
import { falsePositives } from './false-positives';
import { printRun, runCleanups } from './harness';
import { loadSpike } from './load-spike';
import { network } from './network';
import { buildReport, writeReport } from './report';
import { recordVerdicts } from './certify';
import { resources } from './resources';
import { drillTable } from './table';
import { deploy, traffic } from './traffic';
import type { DrillRun, FamilyRunner } from './types';

const RUNNERS: Record<string, FamilyRunner> = {
  availability,
  resources,
  traffic,
  deploy,
  network,
  'load-spike': loadSpike,
  'false-positives': falsePositives,
  escalations,
};

async function main(): Promise<number> {
  let args: DrillArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`npm run drill: ${(err as Error).message}`);
    return 2;
  }
  const { drills, unknown } = selectDrills(args.names);
  if (unknown.length) {
    console.error(`npm run drill: unknown drill, class or family: ${unknown.join(', ')}\nknown drills: ${DRILLS.map((d) => d.id).join(', ')}\nfamilies: ${FAMILIES.join(', ')}`);
    return 2;
  }
  const log = args.json ? (...a: unknown[]) => console.error(...a) : (...a: unknown[]) => console.log(...a);
  const startedAt = new Date();
  const runs: DrillRun[] = [];
  const baselines = new Map<string, number | null>();
  // --runs applies to the recovery drills; false positives and escalations run once each unless named with --runs.
  const runsOf = (spec: (typeof DRILLS)[number]) =>
    args.runs !== null && (spec.targetSeconds !== null || args.names.length > 0) ? args.runs : spec.defaultRuns;

  for (const family of FAMILIES) {
    const specs = drills.filter((d) => d.family === family);
    if (specs.length === 0) continue;
    log(`${family}: ${specs.map((s) => `${s.id} ×${runsOf(s)}`).join(', ')}`);
    const started = Date.now();
    try {
      await RUNNERS[family]!({
        specs,
        runsOf,
        baseline: args.baseline,
        baselineLimitMs: args.baselineLimitMs,
        record: (r) => {
          runs.push(r);
          if (args.json) console.error(JSON.stringify(r));
          else printRun(r);
        },
        setBaseline: (id, s) => void baselines.set(id, s),
      });
    } catch (err) {
      console.error(`${family} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    log(`${family}: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  for (const r of runs) {
    if (baselines.has(r.drill)) r.baselinePm2Seconds = baselines.get(r.drill)!;
    // The load spike's baseline is the hang's: PM2 alone does nothing different in a storm.
    else if (r.drill === 'load-spike' && baselines.has('deadlock')) r.baselinePm2Seconds = baselines.get('deadlock')!;
  }
  const report = buildReport(drills, runs, { startedAt, endedAt: new Date(), runs: args.runs, names: args.names, baselineLimitSeconds: args.baselineLimitMs / 1000 });
  const file = await writeReport(report);
  // Certification: the verdicts go into the audit ledger; a ledger that cannot be opened is said, not fatal.
  await recordVerdicts(report.summary.drills, new Date(report.endedAt)).then(
    ({ recorded, where }) => log(`recorded ${recorded} drill verdict(s) in the audit ledger (${where}); see zt drill status`),
    (err: unknown) => console.error(`could not record the drill verdicts in the audit ledger: ${(err as Error).message}`),
  );
  if (args.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    console.log(`\n${drillTable(drills, report.summary.drills, runs)}\n`);
    console.log('per class (recover p50 / p95 against the target):');
    for (const c of report.summary.classes) {
      console.log(`  ${c.class}: ${c.recoverP50?.toFixed(1) ?? '—'} / ${c.recoverP95?.toFixed(1) ?? '—'} s (target ${c.targetSeconds} s) ${c.passed ? 'PASS' : `FAIL: ${c.why}`}`);
    }
    console.log(`\nPM2 alone: the same fault with PM2's autorestart and nothing else; "never" = not recovered within ${args.baselineLimitMs / 1000} s. ratio = PM2 alone ÷ zero-touch (p50).`);
    console.log(`wrote ${file}: ${report.summary.passed ? 'every drill passed' : 'some drills FAILED'}`);
  }
  return report.summary.passed ? 0 : 1;
}

let exiting = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (exiting) return;
    exiting = true;
    console.error(`\n${signal}: stopping the drill's PM2 daemons, demo processes and servers…`);
    void runCleanups().finally(() => process.exit(130));
  });
}

if (require.main === module) {
  main().then(
    async (code) => {
      await runCleanups();
      process.exit(code);
    },
    async (err) => {
      console.error(err);
      await runCleanups();
      process.exit(1);
    },
  );
}
