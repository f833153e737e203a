// Storm coalescing without Temporal: the first alert per (incident, fingerprint, status) goes out at
// once, duplicates within the window become one delivery with a count, nothing is lost on flush, a
// failed first delivery fails its duplicates (so senders retry), and a failed flush is counted. Fast path:
// while an incident is known open, new windows answer at once and only count, one signal per window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { StormCoalescer, type Delivery, type IncidentTarget } from '../../ingress/coalescer';
import { alertSchema, type Alert } from '../../signals/alert';

const target: IncidentTarget = { workflowId: 'incident-api.availability', key: 'api.availability' };

function alert(extra: Partial<Alert> = {}): Alert {
  return alertSchema.parse({ source: 'generic', service: 'api', name: 'InstanceDown', status: 'firing', startsAt: 'now', fingerprint: 'fp', ...extra });
}

function recorder(fail: (a: Alert, n: number) => boolean = () => false) {
  const sent: Alert[] = [];
  const deliver = async (_t: IncidentTarget, a: Alert): Promise<Delivery> => {
    sent.push(a);
    if (fail(a, sent.length)) throw new Error('temporal down');
    return { result: 'signalled', runId: 'run-1' };
  };
  return { sent, coalescer: new StormCoalescer({ windowMs: 10_000, deliver, logger: pino({ level: 'silent' }) }) };
}

test('1,000 identical alerts: one delivery at once, one counted delivery on flush, total count exact', async () => {
  const { sent, coalescer } = recorder();
  const outcomes = await Promise.all(Array.from({ length: 1000 }, () => coalescer.submit(target, alert())));
  assert.equal(sent.length, 1);
  assert.equal(outcomes.filter((o) => o.result === 'signalled').length, 1);
  assert.equal(outcomes.filter((o) => o.result === 'coalesced').length, 999);
  assert.ok(outcomes.every((o) => o.runId === 'run-1'));
  assert.equal(coalescer.pendingAlerts, 999);
  await coalescer.flush();
  assert.deepEqual(sent.map((a) => a.count), [1, 999]);
  assert.equal(coalescer.pendingAlerts, 0);
});

test('different fingerprints, incidents and statuses are never merged', async () => {
  const { sent, coalescer } = recorder();
  await coalescer.submit(target, alert());
  await coalescer.submit(target, alert({ fingerprint: 'other' }));
  await coalescer.submit({ workflowId: 'incident-web.availability', key: 'web.availability' }, alert());
  await coalescer.submit(target, alert({ status: 'resolved' }));
  assert.equal(sent.length, 4);
});

test('a resolved alert goes out after the firing duplicates counted before it', async () => {
  const { sent, coalescer } = recorder();
  await coalescer.submit(target, alert());
  await coalescer.submit(target, alert());
  await coalescer.submit(target, alert({ status: 'resolved' }));
  assert.deepEqual(sent.map((a) => `${a.status}x${a.count}`), ['firingx1', 'firingx1', 'resolvedx1']);
  await coalescer.flush();
});

test('the window ends on its timer; after the known-open period the next duplicate is delivered at once', async () => {
  const sent: Alert[] = [];
  const coalescer = new StormCoalescer({
    windowMs: 20,
    knownOpenMs: 20,
    deliver: async (_t, a) => (sent.push(a), { result: 'signalled', runId: 'r' }),
    logger: pino({ level: 'silent' }),
  });
  await coalescer.submit(target, alert());
  await coalescer.submit(target, alert());
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(sent.map((a) => a.count), [1, 1]);
  assert.equal((await coalescer.submit(target, alert())).result, 'signalled', 'no longer known open: sent, not counted');
  assert.equal(sent.length, 3);
  await coalescer.close();
});

test('a failed first delivery fails its duplicates too, and nothing is flushed for them', async () => {
  const { sent, coalescer } = recorder((_a, n) => n === 1);
  const results = await Promise.allSettled(Array.from({ length: 5 }, () => coalescer.submit(target, alert())));
  assert.ok(results.every((r) => r.status === 'rejected'));
  await coalescer.flush();
  assert.equal(sent.length, 1);
  assert.equal(coalescer.undeliveredAlerts, 0);
  assert.equal((await coalescer.submit(target, alert())).result, 'signalled', 'the retry opens a fresh window');
  await coalescer.close();
});

test('a failed counted delivery is counted as undelivered, not dropped silently', async () => {
  const { coalescer } = recorder((a) => a.count > 1);
  await Promise.all(Array.from({ length: 10 }, () => coalescer.submit(target, alert())));
  await coalescer.flush();
  assert.equal(coalescer.undeliveredAlerts, 9);
});

test('after close nothing is coalesced: every alert goes straight out', async () => {
  const { sent, coalescer } = recorder();
  await coalescer.close();
  await Promise.all(Array.from({ length: 3 }, () => coalescer.submit(target, alert())));
  assert.equal(sent.length, 3);
});

test('a resolved alert with no open incident answers no-open-incident for its duplicates too', async () => {
  const coalescer = new StormCoalescer({
    windowMs: 10_000,
    deliver: async () => ({ result: 'no-open-incident', runId: null }),
    logger: pino({ level: 'silent' }),
  });
  const outcomes = await Promise.all(Array.from({ length: 3 }, () => coalescer.submit(target, alert({ status: 'resolved' }))));
  assert.deepEqual(outcomes.map((o) => o.result), ['no-open-incident', 'no-open-incident', 'no-open-incident']);
  await coalescer.close();
});

/** A deliver whose calls after the first hang until `release()`: shows who waits for Temporal and who does not. */
function gated(fail: (a: Alert) => boolean = () => false) {
  const sent: Alert[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const deliver = async (_t: IncidentTarget, a: Alert): Promise<Delivery> => {
    sent.push(a);
    if (sent.length > 1) await gate;
    if (fail(a)) throw new Error('temporal down');
    return { result: 'signalled', runId: 'run-1' };
  };
  return { sent, release, coalescer: new StormCoalescer({ windowMs: 10_000, deliver, logger: pino({ level: 'silent' }) }) };
}

test('fast path: once delivered, a new window answers coalesced at once and sends one counted signal', async () => {
  const { sent, coalescer } = recorder();
  await coalescer.submit(target, alert());
  await coalescer.flush();
  const outcomes = await Promise.all(Array.from({ length: 500 }, () => coalescer.submit(target, alert())));
  assert.equal(sent.length, 1, 'nothing sent while the window is open');
  assert.ok(outcomes.every((o) => o.result === 'coalesced' && o.runId === 'run-1'));
  assert.equal(coalescer.pendingAlerts, 500);
  await coalescer.flush();
  assert.deepEqual(sent.map((a) => a.count), [1, 500], 'one signal for the whole window, count exact');
});

test('fast path: duplicates are answered without waiting for an earlier window still being flushed', async () => {
  const { sent, release, coalescer } = gated();
  await coalescer.submit(target, alert());
  await coalescer.submit(target, alert());
  const flushing = coalescer.flush(); // hangs on the gate: Temporal is slow
  const outcome = await coalescer.submit(target, alert());
  assert.equal(outcome.result, 'coalesced');
  release();
  await flushing;
  await coalescer.flush();
  assert.deepEqual(sent.map((a) => a.count), [1, 1, 1]);
});

test('fast path: a resolved alert goes out after the firing counts, and the next firing waits for its delivery', async () => {
  const { sent, coalescer } = recorder();
  await coalescer.submit(target, alert());
  await coalescer.flush();
  await Promise.all(Array.from({ length: 3 }, () => coalescer.submit(target, alert())));
  assert.equal((await coalescer.submit(target, alert({ status: 'resolved' }))).result, 'signalled');
  assert.equal((await coalescer.submit(target, alert())).result, 'signalled', 'a firing after a resolved is a first alert');
  await coalescer.flush();
  assert.deepEqual(sent.map((a) => `${a.status}x${a.count}`), ['firingx1', 'firingx3', 'resolvedx1', 'firingx1']);
});

test('fast path: a failed flush is counted as undelivered and the next alert is refused with Temporal', async () => {
  let down = false;
  const { coalescer } = recorder(() => down);
  await coalescer.submit(target, alert());
  await coalescer.flush();
  await Promise.all(Array.from({ length: 4 }, () => coalescer.submit(target, alert())));
  down = true;
  await coalescer.flush();
  assert.equal(coalescer.undeliveredAlerts, 4, 'the accepted window is counted and logged, not dropped silently');
  await assert.rejects(coalescer.submit(target, alert()), /temporal down/, 'no longer known open: the sender gets 503 and retries');
  assert.equal(coalescer.pendingAlerts, 0);
});

test('fast path: close() delivers every counted alert, per incident', async () => {
  const totals = new Map<string, number>();
  const coalescer = new StormCoalescer({
    windowMs: 10_000,
    deliver: async (t, a) => (totals.set(t.workflowId, (totals.get(t.workflowId) ?? 0) + a.count), { result: 'signalled', runId: 'r' }),
    logger: pino({ level: 'silent' }),
  });
  const other: IncidentTarget = { workflowId: 'incident-web.availability', key: 'web.availability' };
  await Promise.all([coalescer.submit(target, alert()), coalescer.submit(other, alert())]);
  await coalescer.flush();
  for (let i = 0; i < 10; i++) await Promise.all([coalescer.submit(target, alert()), coalescer.submit(other, alert({ count: 2 }))]);
  await coalescer.close();
  assert.deepEqual(Object.fromEntries(totals), { [target.workflowId]: 11, [other.workflowId]: 21 });
  assert.equal(coalescer.pendingAlerts, 0);
});
