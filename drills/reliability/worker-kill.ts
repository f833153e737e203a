// Drill 1: the worker SIGKILLed at a random point of each incident. Hang incidents on demo services run a
// few at a time; a worker child process (workers/worker.ts) runs them and is killed at a seeded random
// delay after they start; its supervisor starts a new one. Every incident must complete, auto-resolved,
// with its restart done once: PM2's restart count of every instance against the restarts the reports
// record, each action once per report, each report once in the ledger.
import { Ingest } from '../../ingress/ingest';
import { listIncidentReports, openLedger } from '../../ledger';
import { createLogger } from '../../observability/logger';
import { parseConfig } from '../../config/load';
import type { IncidentReport } from '../../signals/incident';
import { injectFault } from '../../demo/faults';
import { awaitIncidentRun, latestRunId } from '../../test/helpers/incidents';
import { dropSchema, testPostgres, TEST_DATABASE_URL, uniqueSchema } from '../../test/helpers/postgres';
import { waitForHealthy } from '../../test/helpers/system';
import { testTemporal, uniqueTaskQueue } from '../../test/helpers/temporal';
import { BENCH_GOVERNOR } from '../../bench/recovery-summary';
import { hangAlert, pendingActivities, sleep, startDemoFleet } from './common';
import { picker, mulberry32 } from './prng';
import { compareRestarts, duplicateActions, round, type DrillResult } from './summary';
import { SupervisedWorker, workerEnv } from './worker-process';

export interface WorkerKillOptions {
  incidents: number;
  /** Incidents running at once, each on a demo service of its own. */
  concurrent: number;
  /** The kill comes 0…maxKillDelayMs after the round's incidents started. */
  maxKillDelayMs: number;
  seed: number;
  log: (line: string) => void;
}

const RESTART_ACTIONS = new Set(['pm2-restart', 'pm2-reload']);

export async function workerKillDrill(opts: WorkerKillOptions): Promise<DrillResult> {
  const p = picker(mulberry32(opts.seed));
  const temporal = await testTemporal();
  const fleet = await startDemoFleet('kill', opts.concurrent);
  const taskQueue = uniqueTaskQueue('drill-kill');
  const rawConfig = {
    temporal: { address: temporal.address, taskQueue },
    pm2: { home: fleet.pm2Home },
    governor: BENCH_GOVERNOR,
    services: fleet.services.map((s) => ({ name: s.name, basePort: s.basePort, instances: s.instances })),
  };
  const config = parseConfig(rawConfig);
  const ledgerSchema = uniqueSchema('zt_drill_kill');
  const worker = new SupervisedWorker(workerEnv({ rawConfig, temporalAddress: temporal.address, databaseUrl: TEST_DATABASE_URL, ledgerSchema }));
  const ingest = new Ingest(temporal.client, config, createLogger('drill'));
  const ledger = await openLedger({ databaseUrl: TEST_DATABASE_URL, dataDir: '', schema: ledgerSchema, logger: createLogger('drill') });

  const kills: Array<{ round: number; delayMs: number; pending: string[]; workerReadyAgainMs: number | null }> = [];
  const incidents: Array<{ service: string; pmId: number; workflowId: string; runId: string; report: IncidentReport | null; error?: string }> = [];
  try {
    worker.start();
    await worker.ready(temporal.client, taskQueue, 120_000);
    const restartsBefore = await fleet.restarts();
    const rounds = Math.ceil(opts.incidents / opts.concurrent);
    for (let r = 0; r < rounds; r++) {
      const services = fleet.services.slice(0, Math.min(opts.concurrent, opts.incidents - r * opts.concurrent));
      const instance = r % 2;
      await Promise.all(services.map((s) => waitForHealthy(s.basePort, s.instances, 30_000)));
      const started = await Promise.all(
        services.map(async (s) => {
          const workflowId = `incident-${s.name}.availability`;
          const previous = await latestRunId(temporal.client, workflowId);
          const pmId = (await fleet.pm2.listApp(s.name)).find((x) => x.instance === instance)!.pmId;
          await injectFault(fleet.instanceUrl(s.name, instance), { fault: 'hang' });
          await ingest.ingest([hangAlert(s.name, instance, `kill-${r}`)]);
          const handle = await awaitIncidentRun(temporal.client, workflowId, previous, 60_000);
          return { s, pmId, handle };
        }),
      );
      const delayMs = p.int(0, opts.maxKillDelayMs);
      await sleep(delayMs);
      const pending = (await Promise.all(started.map(({ handle }) => pendingActivities(handle)))).flat();
      await worker.kill();
      const readyAgain = await worker.ready(temporal.client, taskQueue, 120_000).catch(() => null);
      kills.push({ round: r + 1, delayMs, pending, workerReadyAgainMs: readyAgain });
      for (const { s, pmId, handle } of started) {
        const entry: (typeof incidents)[number] = { service: s.name, pmId, workflowId: handle.workflowId, runId: (await handle.describe()).runId, report: null };
        try {
          entry.report = (await Promise.race([
            handle.result(),
            sleep(240_000).then(() => Promise.reject(new Error('not completed within 240 s'))),
          ])) as IncidentReport;
        } catch (err) {
          entry.error = err instanceof Error ? err.message : String(err);
        }
        incidents.push(entry);
      }
      const done = incidents.slice(-started.length);
      opts.log(`  round ${r + 1}/${rounds}: killed after ${delayMs} ms during [${pending.join(', ') || 'no activity'}]; ` +
        done.map((i) => (i.report ? `${i.report.outcome}, ${i.report.actions.length} action(s)` : `NOT COMPLETED (${i.error})`)).join('; '));
    }

    // Reports are delivered by child workflows the incidents leave behind; wait for them before reading the ledger.
    const delivered = await Promise.all(
      incidents.filter((i) => i.report).map((i) =>
        Promise.race([temporal.client.workflow.getHandle(`report-${i.report!.incidentId}`).result().then(() => true), sleep(120_000).then(() => false)]).catch(() => false),
      ),
    );
    const restartsAfter = await fleet.restarts();
    const pm2Delta: Record<string, number> = {};
    for (const [id, n] of Object.entries(restartsAfter)) pm2Delta[id] = n - (restartsBefore[id] ?? 0);
    const reported: Record<string, number> = {};
    let performedFalse = 0;
    for (const i of incidents) {
      for (const a of i.report?.actions ?? []) {
        if (!RESTART_ACTIONS.has(a.action) || a.error) continue;
        if (!a.performed) performedFalse++;
        for (const id of a.pmIds) reported[String(id)] = (reported[String(id)] ?? 0) + 1;
      }
    }
    const restarts = compareRestarts(pm2Delta, reported);
    const rows = (await Promise.all(fleet.services.map((s) => listIncidentReports(ledger.ledger, { service: s.name, limit: 1000 })))).flat();
    const rowsById = new Map<string, number>();
    for (const row of rows) rowsById.set(row.key, (rowsById.get(row.key) ?? 0) + 1);
    const chain = await ledger.ledger.verifyChain();

    let passed = 0;
    let actionDup = 0;
    let ledgerMissing = 0;
    let ledgerDup = 0;
    for (const i of incidents) {
      const r = i.report;
      if (!r) continue;
      const dup = duplicateActions(r.actions);
      actionDup += dup;
      const restartActions = r.actions.filter((a) => RESTART_ACTIONS.has(a.action) && !a.error);
      const inLedger = rowsById.get(r.incidentId) ?? 0;
      if (inLedger === 0) ledgerMissing++;
      if (inLedger > 1) ledgerDup += inLedger - 1;
      if (r.outcome === 'auto-resolved' && dup === 0 && restartActions.length === 1 && restartActions[0]!.pmIds.join() === String(i.pmId) && inLedger === 1) passed++;
    }
    const notCompleted = incidents.filter((i) => !i.report).length + (opts.incidents - incidents.length);
    return {
      drill: 'worker SIGKILL mid-incident',
      runs: opts.incidents,
      passed,
      lost: notCompleted + ledgerMissing,
      duplicated: restarts.duplicated + actionDup + ledgerDup,
      details: {
        seed: opts.seed,
        concurrent: opts.concurrent,
        maxKillDelayMs: opts.maxKillDelayMs,
        kills: kills.length,
        workerStarts: worker.starts,
        unexpectedWorkerExits: worker.exits.filter((e) => !e.killedByDrill).length,
        killedDuring: kills,
        restartsPm2VsReports: restarts.perInstance,
        restartsMissing: restarts.missing,
        restartActionsRecordedAsNotPerformed: performedFalse,
        duplicateActionsInReports: actionDup,
        ledger: { rows: rows.length, missing: ledgerMissing, duplicated: ledgerDup, reportsDelivered: delivered.filter(Boolean).length, chainOk: chain.ok, chainRows: chain.rows },
        incidents: incidents.map((i) => ({
          service: i.service,
          pmId: i.pmId,
          incidentId: i.report?.incidentId ?? null,
          outcome: i.report?.outcome ?? null,
          actions: i.report?.actions.map((a) => ({ action: a.action, pmIds: a.pmIds, performed: a.performed, error: a.error, summary: a.summary })) ?? [],
          ttrSeconds: i.report ? round(i.report.ttrSeconds) : null,
          error: i.error ?? null,
        })),
      },
    };
  } finally {
    await worker.stop();
    await ingest.close().catch(() => undefined);
    await ledger.close().catch(() => undefined);
    const pg = await testPostgres().catch(() => null);
    if (pg) await dropSchema(pg, ledgerSchema).finally(() => pg.end());
    await fleet.stop();
    await temporal.close();
  }
}
