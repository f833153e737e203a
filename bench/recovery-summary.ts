// What every recovery benchmark prints and writes: each run, the median and p95 of fault → verified
// recovery, as JSON under reports/. Numbers, not assertions: this machine is shared and noisy.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface RecoveryRun {
  run: number;
  faultToRecoverySeconds: number;
  detectSeconds: number;
  ttrSeconds: number | null;
  outcome: string;
  actions: string[];
}

export function quantile(sorted: number[], q: number): number {
  const idx = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, idx)]!;
}

export function printRun(row: RecoveryRun): void {
  console.log(
    `run ${row.run}: fault → verified recovery ${row.faultToRecoverySeconds.toFixed(2)} s (detect ${row.detectSeconds.toFixed(2)} s, ${row.outcome}, actions: ${row.actions.join(', ') || 'none'})`,
  );
}

/** Prints the median and p95 and writes reports/<file>; returns the summary. */
export async function writeRecoverySummary(name: string, file: string, rows: RecoveryRun[], extra: Record<string, unknown> = {}) {
  const sorted = rows.map((r) => r.faultToRecoverySeconds).sort((a, b) => a - b);
  const summary = { runs: rows.length, medianSeconds: quantile(sorted, 0.5), p95Seconds: quantile(sorted, 0.95), ...extra, rows };
  console.log(`${name}: median ${summary.medianSeconds.toFixed(2)} s, p95 ${summary.p95Seconds.toFixed(2)} s over ${rows.length} runs`);
  await mkdir('reports', { recursive: true });
  await writeFile(path.join('reports', file), JSON.stringify(summary, null, 2));
  return summary;
}

/** Runs a bench's main and exits with its outcome (PM2 and Temporal handles would otherwise keep it alive). */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/**
 * A benchmark repeats the same fault on purpose. With the governor's defaults the third remediation within
 * an hour would open the recurring-remediation breaker and go to a human (as it should in production), and
 * the hourly action budget would run out; the benches raise both so every run is measured.
 */
export const BENCH_GOVERNOR = { actionsPerHour: 1_000, breaker: { maxRemediations: 100 } };
