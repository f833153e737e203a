// The blast-radius bound, end to end: both demo instances sit behind a real HAProxy and both start failing
// their health checks. A user's catalog file (policy.catalogFiles) answers failing health checks with a
// traffic drain. Draining the sick instances would leave none of the backend's two servers in service,
// above the bound (maxDrainShare 0.5 → 1 of 2), so the drain is refused with nothing changed and the
// incident escalates at once with the refusal as its reason — it does not try the same refused action again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clearFaults, injectFault } from '../../demo/faults';
import { SHIPPED_CATALOG } from '../../policy/catalog/load';
import { timelineQuery } from '../../signals/contract';
import { startHaproxy, type TestHaproxy } from '../helpers/haproxy';
import { awaitIncidentRun, awaitStatus, result } from '../helpers/incidents';
import { eventually, freePortRange, startTestSystem, type TestSystem } from '../helpers/system';

/** The shipped health-check signature, answered by draining the sick instances instead of restarting them. */
async function catalogThatDrains(dir: string): Promise<string> {
  const shipped = JSON.parse(await readFile(SHIPPED_CATALOG, 'utf8')) as { signatures: Array<Record<string, unknown>> };
  const failing = shipped.signatures.find((s) => s.id === 'health-check-failing');
  assert.ok(failing, 'the shipped catalog has health-check-failing');
  const { playbookRules: _rules, ...rest } = failing;
  const file = path.join(dir, 'catalog-drain.json');
  await writeFile(file, JSON.stringify({ description: 'test: sick instances are drained', signatures: [{ ...rest, playbook: ['drain-traffic'] }] }));
  return file;
}

describe('a drain beyond the blast-radius bound is refused and escalates', () => {
  let sys: TestSystem;
  let haproxy: TestHaproxy;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'zt-blast-'));
    const basePort = await freePortRange(2);
    haproxy = await startHaproxy({ servers: [0, 1].map((i) => ({ name: `web-${i}`, port: basePort + i })) });
    sys = await startTestSystem({
      basePort,
      actions: {
        traffic: { haproxySocket: haproxy.socketPath, backend: haproxy.backend, servers: { '0': 'web-0', '1': 'web-1' }, maxDrainShare: 0.5, stateDir: path.join(dir, 'traffic') },
      },
      config: { policy: { catalogFiles: [await catalogThatDrains(dir)] } },
    });
    await sys.startSentinel();
  });
  after(async () => {
    await Promise.all([0, 1].map((i) => clearFaults(sys.instanceUrl(i)).catch(() => undefined)));
    await sys?.stop();
    await haproxy?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('both instances sick: the drain is refused, HAProxy is untouched, the incident escalates after one attempt', async () => {
    const adminStates = async () => Object.fromEntries((await haproxy.runtime.showServersState(haproxy.backend)).map((r) => [r.server, r.adminState]));
    const before = await adminStates();
    await Promise.all([0, 1].map((i) => injectFault(sys.instanceUrl(i), { fault: 'unhealthy' })));
    // HAProxy's own checks see both servers down too: draining them would leave nothing in service.
    await eventually('HAProxy to mark both servers down', async () => {
      const rows = await haproxy.runtime.showServersState(haproxy.backend);
      return rows.every((r) => r.opState === 0) ? true : undefined;
    }, 20_000);

    const handle = await awaitIncidentRun(sys.temporal.client, sys.workflowId(), undefined, 40_000);
    const settled = await awaitStatus(handle, 'the incident to escalate or close', (s) => s.phase === 'escalated' || s.phase === 'closed', 60_000).catch(async (err: Error) => {
      throw new Error(`${err.message}; timeline: ${(await handle.query(timelineQuery)).map((e) => `${e.kind}: ${e.summary}`).join('\n')}`);
    });
    assert.equal(settled.phase, 'escalated', JSON.stringify(settled.actions));
    assert.equal(settled.class, 'unhealthy-health-check');
    assert.equal(settled.actions.length, 1, 'one attempt: the refused drain is not tried again');
    const [drain] = settled.actions;
    assert.equal(drain!.action, 'drain-traffic');
    assert.equal(drain!.performed, false);
    assert.equal(drain!.refused, true, drain!.error ?? '');
    assert.match(drain!.error ?? '', /refused: it would leave 2 of 2 server\(s\) out of service.*above the bound of 1.*nothing was changed/);
    assert.match(settled.escalation?.reason ?? '', /drain-traffic was refused and nothing was changed; trying again cannot help/);
    assert.deepEqual(await adminStates(), before, 'no server was put into drain or maintenance');

    await handle.signal('resolve', { operator: 'oncall', rootCause: 'test', fix: 'cleared the fault' });
    const report = await result(handle);
    assert.equal(report.outcome, 'resolved-by-human');
  });
});
