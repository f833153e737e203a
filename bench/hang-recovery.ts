// `npm run bench:hang [runs]`: time from fault to verified recovery for a hung instance, on the real
// system (Temporal dev server, PM2, demo target, sentinel). Prints each run, the median and p95, and
// writes reports/bench-hang.json.
import { injectFault } from '../demo/faults';
import { awaitIncidentRun, latestRunId, result } from '../test/helpers/incidents';
import { startTestSystem, waitForHealthy } from '../test/helpers/system';
import { BENCH_GOVERNOR, printRun, runBench, writeRecoverySummary, type RecoveryRun } from './recovery-summary';

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  const sys = await startTestSystem({ config: { governor: BENCH_GOVERNOR } });
  await sys.startSentinel();
  const workflowId = sys.workflowId();
  const rows: RecoveryRun[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      await waitForHealthy(sys.basePort, 2);
      const previous = await latestRunId(sys.temporal.client, workflowId);
      const faultAt = Date.now();
      await injectFault(sys.instanceUrl(run % 2), { fault: 'hang' });
      const handle = await awaitIncidentRun(sys.temporal.client, workflowId, previous, 60_000);
      const report = await result(handle);
      const row: RecoveryRun = {
        run,
        faultToRecoverySeconds: (Date.parse(report.endedAt) - faultAt) / 1000,
        ttrSeconds: report.ttrSeconds,
        detectSeconds: (Date.parse(report.startedAt) - faultAt) / 1000,
        outcome: report.outcome,
        actions: report.actions.map((a) => a.action),
      };
      rows.push(row);
      printRun(row);
    }
  } finally {
    await sys.stop();
  }
  await writeRecoverySummary('hang', 'bench-hang.json', rows);
}

runBench(main);
