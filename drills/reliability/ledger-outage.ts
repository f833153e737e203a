// Drill 3: the ledger's PostgreSQL stopped for 30 s while incidents end. A private cluster is the ledger;
// it is stopped (pg_ctl -m fast), hang incidents run and close while it is down (their report delivery
// keeps retrying), it is started again after the outage, and then every report must be in the ledger once,
// with the chain intact.
import { injectFault } from '../../demo/faults';
import { listIncidentReports } from '../../ledger';
import type { IncidentReport } from '../../signals/incident';
import { awaitIncidentRun, latestRunId } from '../../test/helpers/incidents';
import { startPrivatePostgres } from '../../test/helpers/postgres';
import { startTestSystem, waitForHealthy } from '../../test/helpers/system';
import { BENCH_GOVERNOR } from '../../bench/recovery-summary';
import { hangAlert, sleep } from './common';
import { round, type DrillResult } from './summary';

export interface LedgerOutageOptions {
  incidents: number;
  outageMs: number;
  log: (line: string) => void;
}

export async function ledgerOutageDrill(opts: LedgerOutageOptions): Promise<DrillResult> {
  const pg = await startPrivatePostgres();
  let sys: Awaited<ReturnType<typeof startTestSystem>> | undefined;
  try {
    sys = await startTestSystem({ ledgerDatabaseUrl: pg.url, config: { governor: BENCH_GOVERNOR } });
    const workflowId = sys.workflowId();
    await pg.stop();
    const downAt = Date.now();
    const reports: IncidentReport[] = [];
    const errors: string[] = [];
    for (let n = 0; n < opts.incidents; n++) {
      await waitForHealthy(sys.basePort, 2);
      const previous = await latestRunId(sys.temporal.client, workflowId);
      await injectFault(sys.instanceUrl(n % 2), { fault: 'hang' });
      await sys.ingest.ingest([hangAlert(sys.service, n % 2, `outage-${n}`)]);
      const handle = await awaitIncidentRun(sys.temporal.client, workflowId, previous, 60_000);
      try {
        reports.push((await Promise.race([handle.result(), sleep(120_000).then(() => Promise.reject(new Error('not completed within 120 s')))])) as IncidentReport);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
    const endedWhileDown = reports.filter((r) => Date.parse(r.endedAt) < downAt + opts.outageMs).length;
    const unreachable = (await listIncidentReports(sys.ledger, { service: sys.service }).catch(() => null)) === null;
    opts.log(`  ${reports.length} incident(s) closed ${((Date.now() - downAt) / 1000).toFixed(1)} s into the outage (${endedWhileDown} before it ended); ledger unreachable: ${unreachable}`);
    await sleep(Math.max(0, opts.outageMs - (Date.now() - downAt)));
    await pg.start();
    const upAt = Date.now();
    const outageSeconds = (upAt - downAt) / 1000;
    // Each report-delivery child finishes once its row is in.
    const delivered = await Promise.all(
      reports.map((r) =>
        Promise.race([sys!.temporal.client.workflow.getHandle(`report-${r.incidentId}`).result().then(() => true), sleep(180_000).then(() => false)]).catch(() => false),
      ),
    );
    const recordedAfterSeconds = (Date.now() - upAt) / 1000;
    const rows = await listIncidentReports(sys.ledger, { service: sys.service, limit: 1000 });
    const perId = new Map<string, number>();
    for (const r of rows) perId.set(r.key, (perId.get(r.key) ?? 0) + 1);
    const chain = await sys.ledger.verifyChain();
    const missing = reports.filter((r) => !perId.has(r.incidentId)).length;
    const doubled = [...perId.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
    const foreign = [...perId.keys()].filter((k) => !reports.some((r) => r.incidentId === k)).length;
    const passed = reports.filter((r) => r.outcome === 'auto-resolved' && perId.get(r.incidentId) === 1 && Date.parse(r.endedAt) < upAt).length;
    opts.log(`  PostgreSQL back after ${outageSeconds.toFixed(1)} s; ${rows.length} row(s) recorded ${recordedAfterSeconds.toFixed(1)} s later; chain ${chain.ok ? 'intact' : 'BROKEN'} (${chain.rows} rows)`);
    return {
      drill: 'ledger PostgreSQL down 30 s',
      runs: opts.incidents,
      passed: chain.ok ? passed : 0,
      lost: missing + (opts.incidents - reports.length),
      duplicated: doubled,
      details: {
        ledger: 'private PostgreSQL cluster (initdb + pg_ctl), stopped with pg_ctl -m fast',
        outageSeconds: round(outageSeconds),
        incidentsClosedDuringOutage: endedWhileDown,
        ledgerUnreachableDuringOutage: unreachable,
        reportsDelivered: delivered.filter(Boolean).length,
        recordedSecondsAfterDatabaseBack: round(recordedAfterSeconds),
        rows: rows.length,
        rowsNotFromTheseIncidents: foreign,
        chain,
        incidents: reports.map((r) => ({ incidentId: r.incidentId, outcome: r.outcome, endedAt: r.endedAt, rows: perId.get(r.incidentId) ?? 0 })),
        errors,
      },
    };
  } finally {
    await pg.start().catch(() => undefined); // the system's stop drops its schema there
    await sys?.stop();
    await pg.destroy();
  }
}
