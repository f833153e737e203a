// `npm run bench:cpu [runs]`: time from fault to verified recovery for a CPU spike on every instance, on
// the real system (Temporal dev server, PM2, demo target, sentinel's CPU detector, governor). Each run
// burns CPU in both demo instances; the incident classifies it as load and scales up within
// actions.scale.maxInstances; recovery is verified. Between runs the burn is stopped and the bench waits
// for the scale-down undo, for PM2 to report two quiet instances and for no incident to be open, so runs
// do not bleed into each other. Writes reports/bench-cpu.json.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clearFaults, injectFault } from '../demo/faults';
import { awaitIncidentRun, latestRunId, result } from '../test/helpers/incidents';
import { eventually, startTestSystem, waitForHealthy, type TestSystem } from '../test/helpers/system';
import { BENCH_GOVERNOR, printRun, runBench, writeRecoverySummary, type RecoveryRun } from './recovery-summary';

// Two burning instances share two cores with Temporal, PM2 and the bench: "busy" is 25 % here (the
// catalog's cpuBusyPercent, 80 by default) so PM2's reading is reliably above it while burning and below
// it when quiet. The detector's sustained window is part of the measured time.
const BUSY_PERCENT = 25;
const SUSTAINED_MS = 5_000;
const COOLDOWN_MS = 3_000;

async function quiet(sys: TestSystem, workflowId: string): Promise<void> {
  await eventually('no open incident', async () => {
    try {
      const d = await sys.temporal.client.workflow.getHandle(workflowId).describe();
      return d.status.name === 'RUNNING' ? undefined : true;
    } catch {
      return true; // no incident yet
    }
  }, 120_000);
  await eventually('two quiet instances', async () => {
    const procs = await sys.pm2.listApp(sys.service);
    return procs.length === 2 && procs.every((p) => p.status === 'online' && p.cpuPercent < BUSY_PERCENT / 2) ? true : undefined;
  }, 60_000);
  await waitForHealthy(sys.basePort, 2);
  // Long enough for the CPU detector to resolve its alerts and leave its hold-down.
  await new Promise((r) => setTimeout(r, SUSTAINED_MS));
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-bench-cpu-'));
  const catalog = path.join(dir, 'catalog.json');
  await writeFile(catalog, JSON.stringify({ settings: { cpuBusyPercent: BUSY_PERCENT }, signatures: [] }));
  const sys = await startTestSystem({
    actions: { scale: { maxInstances: 3, cooldownMs: COOLDOWN_MS } },
    detectors: { cpu: { percent: BUSY_PERCENT, sustainedMs: SUSTAINED_MS, intervalMs: 500 } },
    config: { policy: { catalogFiles: [catalog] }, governor: BENCH_GOVERNOR },
  });
  await sys.startSentinel();
  const workflowId = sys.workflowId('resources');
  const rows: RecoveryRun[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      await quiet(sys, workflowId);
      const previous = await latestRunId(sys.temporal.client, workflowId);
      const faultAt = Date.now();
      await Promise.all([0, 1].map((i) => injectFault(sys.instanceUrl(i), { fault: 'cpu', percent: 80 })));
      const handle = await awaitIncidentRun(sys.temporal.client, workflowId, previous, 60_000);
      const report = await result(handle);
      await Promise.all([0, 1].map((i) => clearFaults(sys.instanceUrl(i)).catch(() => undefined)));
      const row: RecoveryRun = {
        run,
        faultToRecoverySeconds: (Date.parse(report.endedAt) - faultAt) / 1000,
        ttrSeconds: report.ttrSeconds,
        detectSeconds: (Date.parse(report.startedAt) - faultAt) / 1000,
        outcome: report.outcome,
        actions: report.actions.map((a) => `${a.action}${a.verified ? '' : ' (not verified)'}`),
      };
      rows.push(row);
      printRun(row);
      if (report.outcome !== 'auto-resolved') console.log(`  why: ${report.reasons.join(' ')}`);
      // The scale-down undo runs in the child the incident left behind; the next run starts from two instances.
      if (report.actions.some((a) => a.undo.kind === 'scale-down')) {
        await sys.temporal.client.workflow.getHandle(`undo-after-recovery-${report.incidentId}`).result();
      }
    }
  } finally {
    await Promise.all([0, 1].map((i) => clearFaults(sys.instanceUrl(i)).catch(() => undefined)));
    await sys.stop();
    await rm(dir, { recursive: true, force: true });
  }
  await writeRecoverySummary('cpu spike', 'bench-cpu.json', rows, { busyPercent: BUSY_PERCENT, sustainedMs: SUSTAINED_MS });
}

runBench(main);
