// Drill certification on the real system: with policy.certification.enforce, a class whose drill has not
// passed recently (per the ledger on the machine's PostgreSQL) is only observed — a really hung instance is
// planned for, handed to a human and not restarted — and once a passing drill of that class is recorded,
// the same fault is remediated. `zt drill status` shows the same thing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { certificates, recordDrill } from '../../ledger/certification';
import { humanSignals } from '../../signals/contract';
import { awaitStatus, hangWithAlert, result } from '../helpers/incidents';
import { restartsOf } from '../helpers/webhook';
import { startTestSystem, type TestSystem } from '../helpers/system';
import { runZt } from '../helpers/zt';
import { TEST_DATABASE_URL } from '../helpers/postgres';

const DAY = 86_400_000;

describe('drill certification', () => {
  let sys: TestSystem;

  before(async () => {
    sys = await startTestSystem({ config: { policy: { certification: { enforce: true, maxAgeDays: 7 } } } });
  });
  after(async () => {
    await sys?.stop();
  });

  test('a class never drilled, or drilled too long ago, is only observed; a recent passing drill certifies it', async () => {
    // A pass 10 days ago is too old; a recent failure does not certify either.
    await recordDrill(sys.ledger, { drill: 'deadlock', class: 'deadlock', passed: true, outcome: 'auto-resolved', recoverSeconds: 9, at: new Date(Date.now() - 10 * DAY).toISOString() });
    await recordDrill(sys.ledger, { drill: 'deadlock', class: 'deadlock', passed: false, outcome: 'escalated', recoverSeconds: null, at: new Date(Date.now() - DAY).toISOString() });
    const before = (await certificates(sys.ledger, 7 * DAY, new Date())).find((c) => c.class === 'deadlock');
    assert.equal(before?.certified, false);

    const restartsBefore = await restartsOf(sys, 1);
    const observed = await hangWithAlert(sys, { fingerprint: `${sys.service}-cert-1` });
    const s = await awaitStatus(observed, 'the escalation', (x) => x.phase === 'escalated', 40_000);
    assert.match(s.escalation?.reason ?? '', /class deadlock is not certified \(its last passing drill was .*; policy.certification wants one within 7 days: npm run drill deadlock\): would run deadlock/);
    assert.equal(s.actions.length, 0);
    assert.equal(await restartsOf(sys, 1), restartsBefore, 'nothing was restarted');
    await observed.signal(humanSignals.resolve, { operator: 'oncall', rootCause: 'drill pending' });
    await result(observed);
    // The hung instance is still hung (a human would now restart it by hand).
    await sys.pm2.restart((await sys.pm2.listApp(sys.service)).find((p) => p.instance === 1)!.pmId);

    await recordDrill(sys.ledger, { drill: 'deadlock', class: 'deadlock', passed: true, outcome: 'auto-resolved', recoverSeconds: 9.5, at: new Date().toISOString() });
    const healed = await result(await hangWithAlert(sys, { fingerprint: `${sys.service}-cert-2` }));
    assert.equal(healed.outcome, 'auto-resolved', JSON.stringify(healed.escalation));
    assert.equal(healed.actions[0]?.action, 'pm2-restart');
  });

  test('zt drill status shows which classes are certified and when', async () => {
    const env = { ...process.env, DATABASE_URL: TEST_DATABASE_URL, ZT_LEDGER_SCHEMA: sys.ledger.schema, ZT_CONFIG: JSON.stringify({ policy: { certification: { enforce: true } } }) };
    const json = await runZt(['drill', 'status', '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    const status = JSON.parse(json.stdout) as { enforce: boolean; classes: Array<{ class: string; certified: boolean; lastPassed: { at: string } | null }> };
    assert.equal(status.enforce, true);
    assert.equal(status.classes.length, 13);
    assert.equal(status.classes.find((c) => c.class === 'deadlock')?.certified, true);
    assert.equal(status.classes.find((c) => c.class === 'memory-leak')?.certified, false);
    const text = await runZt(['drill', 'status'], env);
    assert.match(text.stdout, /Certification is enforced/);
    assert.match(text.stdout, /deadlock\s+yes/);
    assert.match(text.stdout, /memory-leak\s+no\s+never/);
  });
});
