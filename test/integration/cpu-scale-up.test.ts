// A CPU spike on every instance, through the whole system: the incident classifies it as load, the
// governor grants a bounded scale-up, PM2 runs a third instance, recovery is verified and the incident
// closes; its recorded undo (scale back down) runs by itself after the cooldown, in the child workflow the
// incident left behind, and PM2 is back to two instances.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clearFaults, injectFault } from '../../demo/faults';
import { alertSchema } from '../../signals/alert';
import { timelineQuery } from '../../signals/contract';
import type { UndoAfterRecoveryResult } from '../../workflows/undo-after-recovery';
import { awaitIncidentRun, awaitStatus, result } from '../helpers/incidents';
import { eventually, startTestSystem, type TestSystem } from '../helpers/system';

const COOLDOWN_MS = 3_000;
// Two burning instances share two cores with the test, Temporal and PM2: "busy" is set at 25 % here (the
// catalog's cpuBusyPercent setting, 80 by default) so PM2's reading is reliably above it.
const BUSY_PERCENT = 25;

describe('CPU spike on every instance → bounded scale-up, scaled back down after the cooldown', () => {
  let sys: TestSystem;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'zt-cpu-'));
    const catalog = path.join(dir, 'catalog.json');
    await writeFile(catalog, JSON.stringify({ settings: { cpuBusyPercent: BUSY_PERCENT }, signatures: [] }));
    sys = await startTestSystem({
      actions: { scale: { maxInstances: 3, cooldownMs: COOLDOWN_MS } },
      config: { policy: { catalogFiles: [catalog] } },
    });
  });
  after(async () => {
    await Promise.all([0, 1].map((i) => clearFaults(sys.instanceUrl(i)).catch(() => undefined)));
    await sys?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('scale-up is verified, the incident closes, and the scale-down undo runs after the cooldown', async () => {
    await Promise.all([0, 1].map((i) => injectFault(sys.instanceUrl(i), { fault: 'cpu', percent: 80 })));
    const faultAt = Date.now();
    // As the sentinel would: alert only once PM2 itself sees both instances busy.
    await eventually('PM2 to see both instances busy', async () => {
      const busy = (await sys.pm2.listApp(sys.service)).filter((p) => p.cpuPercent >= BUSY_PERCENT);
      return busy.length === 2 ? true : undefined;
    }, 20_000);
    // The CPU detector's alerts, as the sentinel would send them after its sustained window.
    await sys.ingest.ingest(
      [0, 1].map((instance) =>
        alertSchema.parse({
          source: 'sentinel',
          service: sys.service,
          name: 'CpuSpike',
          status: 'firing',
          instance,
          summary: `instance ${instance} CPU ≥ 90% for 10 s`,
          startsAt: new Date().toISOString(),
          fingerprint: `${sys.service}-cpu-${instance}`,
        }),
      ),
    );
    const handle = await awaitIncidentRun(sys.temporal.client, sys.workflowId('resources'));
    const settled = await awaitStatus(handle, 'the incident to close or escalate', (x) => x.phase === 'closed' || x.phase === 'escalated', 90_000);
    assert.equal(settled.phase, 'closed', `escalated: ${settled.escalation?.reason}; timeline: ${(await handle.query(timelineQuery)).map((e) => e.summary).join(' | ')}`);
    const report = await result(handle);
    const classified = (await handle.query(timelineQuery)).filter((e) => e.kind === 'classified').map((e) => e.summary);
    console.log(`# cpu spike: fault → verified recovery by scale-up in ${((Date.now() - faultAt) / 1000).toFixed(1)} s`);

    assert.equal(report.outcome, 'auto-resolved', JSON.stringify(report.escalation));
    assert.equal(report.class, 'cpu-spike');
    assert.equal(report.actions.length, 1);
    const [scaled] = report.actions;
    assert.equal(scaled!.action, 'scale-up', classified.join('\n'));
    assert.equal(scaled!.verified, true);
    assert.equal(scaled!.undo.kind, 'scale-down');
    assert.equal((await sys.pm2.listApp(sys.service)).length, 3, 'PM2 runs a third instance');

    const undo = sys.temporal.client.workflow.getHandle(`undo-after-recovery-${report.incidentId}`);
    const undone = (await undo.result()) as UndoAfterRecoveryResult;
    assert.equal(undone.results.length, 1);
    assert.equal(undone.results[0]!.error, null);
    assert.equal(undone.results[0]!.outcome?.performed, true, undone.results[0]!.outcome?.summary);
    assert.equal((await sys.pm2.listApp(sys.service)).length, 2, 'scaled back down to the original two instances');
  });
});
