// `npm run drill:reliability [drill…]`: the reliability drills of issue 7 on real components, one after the
// other, each with a server, PM2 daemon and ledger schema of its own. Prints a table and writes
// reports/reliability.json ({ drills: [{ drill, runs, passed, lost, duplicated, details }] }). Naming drills
// (worker-kill, temporal-restart, ledger-outage, webhook-fuzz) runs only those and replaces only their
// entries in an existing report. Sizes: ZT_DRILL_KILL_INCIDENTS (20), ZT_DRILL_TEMPORAL_RESTARTS (4),
// ZT_LEDGER_OUTAGE_MS (30000), ZT_DRILL_FUZZ_BODIES (10000), ZT_DRILL_SEED (random, printed).
// Heavy: on a shared machine run it under `flock /tmp/zt-heavy.lock`.
process.env.ZT_TEMPORAL_METRICS_ADDRESS ??= 'off';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { failedDrill, formatTable, reliabilityReport, type DrillResult, type ReliabilityReport } from './summary';

const DRILLS = ['worker-kill', 'temporal-restart', 'ledger-outage', 'webhook-fuzz'] as const;
type DrillName = (typeof DRILLS)[number];
const REPORT = 'reports/reliability.json';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

async function runOne(name: DrillName, seed: number, log: (l: string) => void): Promise<DrillResult> {
  switch (name) {
    case 'worker-kill': {
      const { workerKillDrill } = await import('./worker-kill');
      return workerKillDrill({ incidents: num('ZT_DRILL_KILL_INCIDENTS', 20), concurrent: 2, maxKillDelayMs: 9_000, seed, log });
    }
    case 'temporal-restart': {
      const { temporalRestartDrill } = await import('./temporal-restart');
      return temporalRestartDrill({ runs: num('ZT_DRILL_TEMPORAL_RESTARTS', 4), downMs: 5_000, selfRecoveryMs: 90_000, log });
    }
    case 'ledger-outage': {
      const { ledgerOutageDrill } = await import('./ledger-outage');
      return ledgerOutageDrill({ incidents: 3, outageMs: num('ZT_LEDGER_OUTAGE_MS', 30_000), log });
    }
    case 'webhook-fuzz': {
      const { webhookFuzzDrill } = await import('./webhook-fuzz');
      return webhookFuzzDrill({ bodies: num('ZT_DRILL_FUZZ_BODIES', 10_000), seed, concurrency: 16, log });
    }
  }
}

async function main(): Promise<number> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => !(DRILLS as readonly string[]).includes(a));
  if (unknown.length) {
    console.error(`unknown drill(s): ${unknown.join(', ')}; known: ${DRILLS.join(', ')}`);
    return 2;
  }
  const names = (asked.length ? asked : DRILLS) as DrillName[];
  const seed = process.env.ZT_DRILL_SEED ? Number(process.env.ZT_DRILL_SEED) >>> 0 : Math.floor(Math.random() * 2 ** 32);
  console.log(`drill:reliability — ${names.join(', ')}; seed ${seed} (ZT_DRILL_SEED=${seed} repeats the kill delays and the fuzzed bodies)`);
  const results: DrillResult[] = [];
  for (const name of names) {
    const started = Date.now();
    console.log(`\n# ${name}`);
    let result: DrillResult;
    try {
      result = await runOne(name, seed, (line) => console.log(line));
    } catch (err) {
      console.error(err);
      result = failedDrill(name, err);
    }
    result.details = { ...result.details, drillName: name, seed, measuredAt: new Date().toISOString(), elapsedSeconds: Math.round((Date.now() - started) / 100) / 10 };
    results.push(result);
  }

  // Drills not run this time keep their last entry.
  let previous: DrillResult[] = [];
  if (asked.length) {
    previous = await readFile(REPORT, 'utf8')
      .then((t) => (JSON.parse(t) as ReliabilityReport).drills ?? [])
      .catch(() => []);
  }
  const ranNames = new Set(results.map((r) => r.drill));
  const merged = [...previous.filter((d) => !ranNames.has(d.drill) && !names.includes(d.details?.drillName as DrillName)), ...results].sort(
    (a, b) => DRILLS.indexOf(a.details?.drillName as DrillName) - DRILLS.indexOf(b.details?.drillName as DrillName),
  );
  const report = reliabilityReport(merged, { cpus: os.cpus().length, node: process.version });
  console.log(`\n${formatTable(results)}`);
  await mkdir('reports', { recursive: true });
  await writeFile(REPORT, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${REPORT} (seed ${seed})`);
  return results.every((r) => r.runs > 0 && r.passed === r.runs && r.lost === 0 && r.duplicated === 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
