// Drill 2: the Temporal server restarted in the middle of an incident. A dev server of the drill's own
// keeps its state in a SQLite file (dbFilename), so a restart loses nothing; it is stopped while the
// incident is acting (restartInstances) or verifying (verifyRecovery), kept down for a few seconds, and
// started again on the same port and file. The worker is the production entry point (workers/worker.ts) as
// a child process, whose NativeConnection must find the server again by itself: the drill restarts the
// worker only if the incident has not completed within a deadline after the server is back, and says so.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { parseConfig } from '../../config/load';
import { injectFault } from '../../demo/faults';
import { Ingest } from '../../ingress/ingest';
import { listIncidentReports, openLedger } from '../../ledger';
import { createLogger } from '../../observability/logger';
import type { IncidentReport } from '../../signals/incident';
import { startDevServer } from '../../temporal/dev-server';
import type { TemporalEndpoint } from '../../temporal/endpoint';
import { isPortFree, pickFreePort } from '../../temporal/free-port';
import { awaitIncidentRun, latestRunId } from '../../test/helpers/incidents';
import { dropSchema, testPostgres, TEST_DATABASE_URL, uniqueSchema } from '../../test/helpers/postgres';
import { waitForHealthy } from '../../test/helpers/system';
import { BENCH_GOVERNOR } from '../../bench/recovery-summary';
import { hangAlert, pendingActivities, sleep, startDemoFleet } from './common';
import { round, type DrillResult } from './summary';
import { SupervisedWorker, workerEnv } from './worker-process';

export interface TemporalRestartOptions {
  runs: number;
  /** How long the server stays down. */
  downMs: number;
  /** After the server is back, how long the worker gets to carry on by itself before the drill restarts it. */
  selfRecoveryMs: number;
  log: (line: string) => void;
}

const quiet = { info: () => undefined, warn: (m: string) => console.warn(m) };

type Step = 'act' | 'verify';
const ACTIVITY_OF: Record<Step, string> = { act: 'restartInstances', verify: 'verifyRecovery' };

export async function temporalRestartDrill(opts: TemporalRestartOptions): Promise<DrillResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-drill-temporal-'));
  const dbFilename = path.join(dir, 'temporal.db');
  const port = await pickFreePort();
  const startServer = () => startDevServer({ port, dbFilename, headless: true, log: quiet, readyTimeoutMs: 90_000 });
  let endpoint: TemporalEndpoint = await startServer();
  const address = endpoint.address;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: endpoint.namespace });
  const fleet = await startDemoFleet('tmprl', 1);
  const service = fleet.services[0]!;
  const taskQueue = `drill-temporal-${Math.random().toString(36).slice(2, 8)}`;
  const rawConfig = {
    temporal: { address, taskQueue },
    pm2: { home: fleet.pm2Home },
    governor: BENCH_GOVERNOR,
    services: [{ name: service.name, basePort: service.basePort, instances: service.instances }],
  };
  const config = parseConfig(rawConfig);
  const ledgerSchema = uniqueSchema('zt_drill_tmprl');
  const worker = new SupervisedWorker(workerEnv({ rawConfig, temporalAddress: address, databaseUrl: TEST_DATABASE_URL, ledgerSchema }));
  const ingest = new Ingest(client, config, createLogger('drill'));
  const ledger = await openLedger({ databaseUrl: TEST_DATABASE_URL, dataDir: '', schema: ledgerSchema, logger: createLogger('drill') });
  const rows: Array<Record<string, unknown>> = [];
  const reports: IncidentReport[] = [];
  let lost = 0;
  let duplicated = 0;
  try {
    worker.start();
    await worker.ready(client, taskQueue, 120_000);
    for (let run = 0; run < opts.runs; run++) {
      const step: Step = run % 2 === 0 ? 'act' : 'verify';
      const instance = run % 2;
      await waitForHealthy(service.basePort, service.instances, 30_000);
      const workflowId = `incident-${service.name}.availability`;
      const previous = await latestRunId(client, workflowId);
      const proc = (await fleet.pm2.listApp(service.name)).find((p) => p.instance === instance)!;
      await injectFault(fleet.instanceUrl(service.name, instance), { fault: 'hang' });
      const exitsBefore = worker.exits.length;
      await ingest.ingest([hangAlert(service.name, instance, `tmprl-${run}`)]);
      const handle = await awaitIncidentRun(client, workflowId, previous, 60_000);

      // Strike the moment the step's activity is pending.
      const wanted = ACTIVITY_OF[step];
      let pending: string[] = [];
      const watchUntil = Date.now() + 90_000;
      while (Date.now() < watchUntil) {
        pending = await pendingActivities(handle);
        if (pending.some((a) => a.startsWith(`${wanted}:`))) break;
        await sleep(25);
      }
      const stopAt = Date.now();
      await endpoint.stop();
      await sleep(opts.downMs);
      while (!(await isPortFree(port))) await sleep(100);
      const restartAt = Date.now();
      endpoint = await startServer();
      const upAt = Date.now();

      let report: IncidentReport | null = null;
      let workerRestartedByDrill = false;
      let error: string | null = null;
      const wait = (ms: number) => Promise.race([handle.result() as Promise<IncidentReport>, sleep(ms).then(() => null)]);
      try {
        report = await wait(opts.selfRecoveryMs);
        if (!report) {
          workerRestartedByDrill = true;
          await worker.kill();
          report = await wait(180_000);
        }
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      const completedAt = Date.now();
      const after = (await fleet.pm2.listApp(service.name)).find((p) => p.pmId === proc.pmId)!;
      const restartActions = report?.actions.filter((a) => (a.action === 'pm2-restart' || a.action === 'pm2-reload') && !a.error) ?? [];
      const restartsDone = after.restarts - proc.restarts;
      const unexpectedExits = worker.exits.slice(exitsBefore).filter((e) => !e.killedByDrill).length;
      if (!report) lost++;
      if (restartsDone > 1) duplicated += restartsDone - 1;
      if (restartActions.length > 1) duplicated += restartActions.length - 1;
      const ok = report?.outcome === 'auto-resolved' && restartActions.length === 1 && restartsDone === 1;
      if (report) reports.push(report);
      const row = {
        run: run + 1,
        incidentId: report?.incidentId ?? null,
        ok,
        restartedDuring: step,
        pendingAtStop: pending,
        serverDownSeconds: round((upAt - stopAt) / 1000),
        serverStartSeconds: round((upAt - restartAt) / 1000),
        completedSecondsAfterServerBack: round((completedAt - upAt) / 1000),
        workerExitedByItself: unexpectedExits,
        workerRestartedByDrill,
        outcome: report?.outcome ?? null,
        restartActions: restartActions.length,
        pm2Restarts: restartsDone,
        ttrSeconds: report ? round(report.ttrSeconds) : null,
        error,
      };
      rows.push(row);
      opts.log(`  run ${run + 1}/${opts.runs}: server restarted during ${step} [${pending.join(', ')}], down ${row.serverDownSeconds} s; ` +
        `${report ? `${report.outcome} ${row.completedSecondsAfterServerBack} s after the server was back` : `NOT COMPLETED (${error ?? 'timeout'})`}; ` +
        `worker ${workerRestartedByDrill ? 'restarted by the drill' : unexpectedExits ? `exited by itself ${unexpectedExits}× (supervisor restarted it)` : 'carried on by itself'}; PM2 restarts ${restartsDone}`);
    }
    // Every report once in the ledger, after the restarts.
    await Promise.all(reports.map((r) => Promise.race([client.workflow.getHandle(`report-${r.incidentId}`).result(), sleep(120_000)]).catch(() => undefined)));
    const ledgerRows = await listIncidentReports(ledger.ledger, { service: service.name, limit: 1000 });
    const perId = new Map<string, number>();
    for (const r of ledgerRows) perId.set(r.key, (perId.get(r.key) ?? 0) + 1);
    const missing = reports.filter((r) => !perId.has(r.incidentId)).length;
    const doubled = [...perId.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
    lost += missing;
    duplicated += doubled;
    const chain = await ledger.ledger.verifyChain();
    return {
      drill: 'Temporal server restarted mid-incident',
      runs: opts.runs,
      passed: rows.filter((r) => r.ok && perId.get(String(r.incidentId)) === 1).length,
      lost,
      duplicated,
      details: {
        server: 'temporal server start-dev with --db-filename (SQLite), same port and file after the restart',
        worker: 'workers/worker.ts as a child process; restarted only if the incident did not complete within selfRecoveryMs after the server was back',
        downMs: opts.downMs,
        selfRecoveryMs: opts.selfRecoveryMs,
        workerStarts: worker.starts,
        workerUnexpectedExits: worker.exits.filter((e) => !e.killedByDrill).length,
        workerRestartsByDrill: rows.filter((r) => r.workerRestartedByDrill).length,
        ledger: { rows: ledgerRows.length, missing, duplicated: doubled, chainOk: chain.ok },
        runs: rows,
        workerStderrTail: worker.recentErrors.slice(-5),
      },
    };
  } finally {
    await worker.stop();
    await ingest.close().catch(() => undefined);
    await ledger.close().catch(() => undefined);
    const pg = await testPostgres().catch(() => null);
    if (pg) await dropSchema(pg, ledgerSchema).finally(() => pg.end());
    await fleet.stop();
    await connection.close().catch(() => undefined);
    await endpoint.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
