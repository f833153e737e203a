// The ledger's acceptance on the real system: the ledger lives in a private PostgreSQL cluster that is
// stopped for 30 s (ZT_LEDGER_OUTAGE_MS) while incidents end. Each incident closes as usual — its report
// activity keeps retrying — and once the database is back every report is in the ledger, exactly once,
// with the chain intact.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listIncidentReports } from '../../ledger';
import { hangWithAlert, result } from '../helpers/incidents';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/postgres';
import { eventually, startTestSystem, type TestSystem } from '../helpers/system';

const OUTAGE_MS = Number(process.env.ZT_LEDGER_OUTAGE_MS ?? 30_000);
const INCIDENTS = 2;

describe('PostgreSQL down while incidents end: no ledger row lost', () => {
  let pg: PrivatePostgres;
  let sys: TestSystem;

  before(async () => {
    pg = await startPrivatePostgres();
    sys = await startTestSystem({ ledgerDatabaseUrl: pg.url });
  });
  after(async () => {
    await pg?.start().catch(() => undefined); // the system's stop drops its schema there
    await sys?.stop();
    await pg?.destroy();
  });

  test(`${INCIDENTS} incidents end during a ${OUTAGE_MS / 1000} s outage; afterwards every report is recorded once`, async () => {
    await pg.stop();
    const downAt = Date.now();
    const ids: string[] = [];
    for (let n = 0; n < INCIDENTS; n++) {
      const handle = await hangWithAlert(sys, { fingerprint: `${sys.service}-outage-${n}`, instance: n % 2 });
      // Healed and closed while the ledger is unreachable: the incident ends, only its report's delivery waits.
      const report = await result(handle);
      assert.equal(report.outcome, 'auto-resolved');
      ids.push(report.incidentId);
    }
    assert.ok(Date.now() - downAt < OUTAGE_MS, 'the incidents ended while the database was still down');
    assert.equal((await listIncidentReports(sys.ledger, { service: sys.service }).catch(() => null)), null, 'the ledger really is unreachable');

    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - downAt))));
    await pg.start();
    const upAt = Date.now();
    // Each run finishes once its report is recorded.
    await eventually('every report to be recorded', async () => {
      const rows = await listIncidentReports(sys.ledger, { service: sys.service }).catch(() => []);
      return rows.length >= INCIDENTS ? rows : undefined;
    }, 120_000);
    console.log(`# ledger outage: ${INCIDENTS} reports recorded ${((Date.now() - upAt) / 1000).toFixed(1)} s after PostgreSQL came back`);
    for (const id of ids) {
      const delivery = await sys.temporal.client.workflow.getHandle(`report-${id}`).result();
      assert.equal(delivery.incidentId, id);
    }

    const rows = await listIncidentReports(sys.ledger, { service: sys.service });
    assert.deepEqual(rows.map((r) => r.key).sort(), [...ids].sort(), 'each incident exactly once');
    const chain = await sys.ledger.verifyChain();
    assert.equal(chain.ok, true, JSON.stringify(chain));
    assert.equal(chain.rows, INCIDENTS);
  });
});
