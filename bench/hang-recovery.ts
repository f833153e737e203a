// `npm run bench:hang [runs]`: time from fault to verified recovery for a hung instance, on the real
// system (Temporal dev server, PM2, demo target, sentinel). Prints each run, the median and p95, and
// writes reports/bench-hang.json. Numbers, not assertions: this machine is shared and noisy.
import { mkdir, writeFile } from 'node:fs/promises';
import { injectFault } from '../demo/faults';
import { awaitIncidentRun, latestRunId, result } from '../test/helpers/incidents';
import { startTestSystem, waitForHealthy } from '../test/helpers/system';

function quantile(sorted: number[], q: number): number {
  const idx = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, idx)]!;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  const sys = await startTestSystem();
  await sys.startSentinel();
  const workflowId = sys.workflowId();
  const rows: Array<{ run: number; faultToRecoverySeconds: number; ttrSeconds: number; detectSeconds: number; outcome: string }> = [];
  try {
    for (let run = 1; run <= runs; run++) {
      await waitForHealthy(sys.basePort, 2);
      const previous = await latestRunId(sys.temporal.client, workflowId);
      const faultAt = Date.now();
      await injectFault(sys.instanceUrl(run % 2), { fault: 'hang' });
      const handle = await awaitIncidentRun(sys.temporal.client, workflowId, previous, 60_000);
      const report = await result(handle);
      const row = {
        run,
        faultToRecoverySeconds: (Date.parse(report.endedAt) - faultAt) / 1000,
        ttrSeconds: report.ttrSeconds,
        detectSeconds: (Date.parse(report.startedAt) - faultAt) / 1000,
        outcome: report.outcome,
      };
      rows.push(row);
      console.log(`run ${run}: fault → verified recovery ${row.faultToRecoverySeconds.toFixed(2)} s (detect ${row.detectSeconds.toFixed(2)} s, ${row.outcome})`);
    }
  } finally {
    await sys.stop();
  }
  const sorted = rows.map((r) => r.faultToRecoverySeconds).sort((a, b) => a - b);
  const summary = { runs, medianSeconds: quantile(sorted, 0.5), p95Seconds: quantile(sorted, 0.95), rows };
  console.log(`hang: median ${summary.medianSeconds.toFixed(2)} s, p95 ${summary.p95Seconds.toFixed(2)} s over ${runs} runs`);
  await mkdir('reports', { recursive: true });
  await writeFile('reports/bench-hang.json', JSON.stringify(summary, null, 2));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
