// "Security signals present (from the risk label, service tags or evidence)": the evidence part, on the real
// system. A demo instance writes a real database error to stderr (the `log-error` fault, through its own
// logger), PM2 puts it in the instance's error log, and diagnosis reads it back from there: the real
// collectEvidence activity records the match, classification turns it into a data-consistency risk, and an
// incident about a really hung instance, whose alert carries no risk label, escalates without any action.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { classifyEvidence } from '../../activities/classify-evidence';
import { collectEvidence } from '../../activities/collect-evidence';
import type { ActivityDeps } from '../../activities/deps';
import { injectFault } from '../../demo/faults';
import { createLogger } from '../../observability/logger';
import type { Diagnosis, Evidence } from '../../policy/types';
import { humanSignals } from '../../signals/contract';
import { activitySummaries, awaitIncidentRun, awaitStatus, localActivityMarker, result } from '../helpers/incidents';
import { startTestSystem, type TestSystem } from '../helpers/system';
import { postHealthTimeout, restartsOf, startIngress, type TestIngress } from '../helpers/webhook';

const TOKEN = randomBytes(24).toString('hex');
const DB_ERROR = 'insert into orders failed: duplicate key value violates unique constraint "orders_idempotency_key_key"';

/** What an activity (or a local activity: the decision's steps, in its marker) returned, as recorded in the incident's history. */
async function activityResults(handle: WorkflowHandle): Promise<unknown[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const payload = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0] ?? localActivityMarker(e)?.details?.result?.payloads?.[0];
    return payload ? [defaultPayloadConverter.fromPayload(payload as any)] : [];
  });
}

describe('risk from the error log on the real system (demo target writes a database error, real PM2 log, Temporal)', () => {
  let sys: TestSystem;
  let ingress: TestIngress;

  before(async () => {
    sys = await startTestSystem({ config: { http: { webhookToken: TOKEN } } });
    ingress = await startIngress(sys);
  });
  after(async () => {
    await ingress?.app.close();
    await sys?.stop();
  });

  test('the collectEvidence activity finds the line in the PM2 error log and classification flags data-consistency', async () => {
    const deps: ActivityDeps = { config: sys.config, pm2: sys.pm2, logger: createLogger('test') };
    const alerts: Evidence['alerts'] = { names: [], firing: [], count: 0, risk: [], instances: [] };
    const env = new MockActivityEnvironment();

    const collect = () => env.run<[], Evidence, () => Promise<Evidence>>(() => collectEvidence(deps, { service: sys.service, alerts }));
    const before = await collect();
    assert.ok(before.logs && before.logs.length > 0, 'the error log was looked at');
    assert.ok(before.logs.every((l) => l.readable && l.matches.length === 0), `a fresh demo's log says nothing risky: ${JSON.stringify(before.logs)}`);

    const accepted = await injectFault(sys.instanceUrl(1), { fault: 'log-error', message: DB_ERROR });
    assert.deepEqual(accepted.accepted, { fault: 'log-error', message: DB_ERROR, count: 1 });

    const evidence = await collect();
    const hits = (evidence.logs ?? []).filter((l) => l.matches.length > 0);
    assert.equal(hits.length, 1, JSON.stringify(evidence.logs));
    const [log] = hits;
    assert.equal(log!.stream, 'err');
    assert.ok(log!.instances.includes(1), `the log of instance 1 (${log!.file})`);
    assert.match(log!.file ?? '', /\.log$/);
    assert.deepEqual(log!.matches, [{ signal: 'db-constraint-violation', risk: 'data-consistency', count: 1, lines: [DB_ERROR] }]);
    assert.ok(JSON.stringify(evidence.logs).length < 4_000, 'the recorded evidence is small');

    const diagnosis = await env.run<[], Diagnosis, () => Promise<Diagnosis>>(() => classifyEvidence(deps, evidence));
    assert.deepEqual(diagnosis.riskFlags, ['data-consistency']);
    assert.ok(diagnosis.reasons.some((r) => r.includes(`says '${DB_ERROR}' (db-constraint-violation → risk data-consistency)`)), diagnosis.reasons.join('\n'));
  });

  test('a hung instance whose error log says so escalates without any action, though its alert has no risk label', async () => {
    await injectFault(sys.instanceUrl(0), { fault: 'log-error', message: DB_ERROR });
    await injectFault(sys.instanceUrl(0), { fault: 'hang' });
    const restartsBefore = await restartsOf(sys, 0);

    const response = await postHealthTimeout(ingress, TOKEN, sys.service);
    assert.equal(response.status, 202, await response.clone().text());
    const handle = await awaitIncidentRun(sys.temporal.client, sys.workflowId());

    const s = await awaitStatus(handle, 'an escalation', (x) => x.phase === 'escalated', 30_000);
    assert.match(s.escalation?.reason ?? '', /risk signals present \(data-consistency\)/);
    assert.equal(s.actions.length, 0, 'no action was taken');
    const summaries = await activitySummaries(handle);
    assert.ok(summaries.some((x) => x.startsWith('Page on-call')), `a page went out: ${summaries.join(' | ')}`);
    assert.ok(!summaries.some((x) => /^pm2-(restart|reload)/.test(x)), `no restart was scheduled: ${summaries.join(' | ')}`);
    assert.equal(await restartsOf(sys, 0), restartsBefore, 'PM2 restarted nothing');

    // The history keeps what was seen and why: the match in the evidence, the quoted line in the reasons.
    const recorded = await activityResults(handle);
    const evidence = recorded.find((r): r is Evidence => !!r && typeof r === 'object' && 'instances' in r && 'alerts' in r);
    const diagnosis = recorded.find((r): r is Diagnosis => !!r && typeof r === 'object' && 'riskFlags' in r);
    assert.ok(evidence?.logs?.some((l) => l.instances.includes(0) && l.matches.some((m) => m.signal === 'db-constraint-violation')), JSON.stringify(evidence?.logs));
    assert.equal(diagnosis?.signatureId, 'event-loop-deadlock', 'the hang itself is still recognised');
    assert.deepEqual(diagnosis?.riskFlags, ['data-consistency']);
    assert.ok(diagnosis?.reasons.some((r) => /^Error log of instances? [\d, ]*0[\d, ]* says '.*duplicate key value violates unique constraint/.test(r)), diagnosis?.reasons.join('\n'));

    // Frozen: nothing more happens on its own.
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal((await awaitStatus(handle, 'still escalated', (x) => x.phase === 'escalated')).actions.length, 0);
    await handle.signal(humanSignals.resolve, { operator: 'oncall', rootCause: 'test case done' });
    assert.equal((await result(handle)).outcome, 'resolved-by-human');
  });
});
