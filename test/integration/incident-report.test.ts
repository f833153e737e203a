// The incident report of the specification, on the real system, recorded in the ledger on the machine's
// PostgreSQL: users hit both demo instances while instance 1 hangs; the self-healed incident's report
// carries the timings, a user-impact estimate that counts the hung instance's failed share, the Temporal
// ids and Web UI link, and lands in the hash-chained ledger. An escalated incident resolved by a human who
// names the root cause and the fix gets a catalog signature drafted from it, written for review; adopted,
// it would recognise the same incident.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parseCatalogFile } from '../../policy/catalog/load';
import { humanSignals } from '../../signals/contract';
import { listIncidentReports } from '../../ledger';
import { awaitStatus, hangWithAlert, result } from '../helpers/incidents';
import { eventually, startTestSystem, type TestSystem } from '../helpers/system';

describe('the incident report', () => {
  let sys: TestSystem;
  let stopTraffic = () => {};

  before(async () => {
    sys = await startTestSystem({ config: { notifiers: { publicUrl: 'http://temporal-ui.example:8233' } } });
  });
  after(async () => {
    stopTraffic();
    await sys?.stop();
  });

  /** Users: each instance gets a request every 50 ms (a hung one just swallows them). */
  function userTraffic(): () => void {
    let running = true;
    const loops = [0, 1].map(async (i) => {
      while (running) {
        await fetch(`${sys.instanceUrl(i)}/api/videos`, { signal: AbortSignal.timeout(300) }).then((r) => r.arrayBuffer(), () => undefined);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    return () => {
      running = false;
      void Promise.all(loops);
    };
  }

  test('timings, user impact, Temporal ids and link, recorded in the ledger', async () => {
    stopTraffic = userTraffic();
    await new Promise((r) => setTimeout(r, 1_500)); // some traffic before the fault
    const handle = await hangWithAlert(sys, { fingerprint: `${sys.service}-hang-plain` });
    const report = await result(handle);
    stopTraffic();
    assert.equal(report.outcome, 'auto-resolved', JSON.stringify(report.escalation));

    assert.ok(report.timeToDetectSeconds !== undefined && report.timeToDetectSeconds >= 0 && report.timeToDetectSeconds < 5, String(report.timeToDetectSeconds));
    assert.ok(report.timeToMitigateSeconds != null && report.timeToMitigateSeconds > 0 && report.timeToMitigateSeconds <= report.ttrSeconds, `${report.timeToMitigateSeconds} vs ${report.ttrSeconds}`);
    assert.ok(report.impact, 'an impact estimate');
    assert.ok(report.impact.totalRequests > 0, report.impact.basis);
    assert.ok(report.impact.failedRequests > 0, `the hung instance's share failed: ${report.impact.basis}`);
    assert.ok(report.impact.affectedUsers > 0, report.impact.basis);
    assert.match(report.impact.basis, /instance 1 not answering when the incident opened/);
    assert.equal(report.temporal?.workflowId, sys.workflowId());
    assert.equal(report.temporal?.runId, report.runId);
    assert.equal(report.temporal?.webUiUrl, `http://temporal-ui.example:8233/namespaces/default/workflows/${encodeURIComponent(sys.workflowId())}/${report.runId}/history`);

    // Delivered by the report's own workflow, which the incident left behind when it closed.
    const row = await eventually('the report in the ledger', async () => (await listIncidentReports(sys.ledger, { service: sys.service }))[0], 20_000);
    assert.equal(row.key, report.incidentId);
    assert.equal(row.report.outcome, 'auto-resolved');
    assert.deepEqual(row.report.impact, report.impact);
    const chain = await sys.ledger.verifyChain();
    assert.equal(chain.ok, true, JSON.stringify(chain));
    assert.equal(chain.rows, 1);
  });

  test("a human's resolution of an escalated incident drafts a signature for review", async () => {
    const handle = await hangWithAlert(sys, { fingerprint: `${sys.service}-hang-billing`, risk: ['billing'] });
    await awaitStatus(handle, 'the escalation', (s) => s.phase === 'escalated', 40_000);
    await handle.signal(humanSignals.resolve, {
      operator: 'oncall-amy',
      rootCause: 'a stuck billing-provider call blocked the event loop',
      fix: 'restarted the instance',
      action: 'pm2-restart',
    });
    const report = await result(handle);
    assert.equal(report.outcome, 'resolved-by-human');
    const draft = report.proposedSignature;
    assert.ok(draft?.file, draft?.summary);
    const file = JSON.parse(await readFile(draft.file, 'utf8'));
    const [signature] = parseCatalogFile(file, draft.file).signatures;
    assert.equal(signature!.id, draft.signatureId);
    assert.equal(signature!.class, 'deadlock');
    assert.deepEqual(signature!.playbook, ['pm2-restart']);
    assert.match(signature!.description, /resolved by oncall-amy: root cause "a stuck billing-provider call blocked the event loop"/);
    const proposal = await sys.ledger.find('signature-proposal', report.incidentId);
    assert.ok(proposal, 'the draft is in the ledger too');
  });
});
