// Storm coalescing without Temporal: the first alert per (incident, fingerprint, status) goes out at
// once, duplicates within the window become one delivery with a count, nothing is lost on flush, a
// failed first delivery fails its duplicates (so senders retry), and a failed flush is counted.
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

test('the window ends on its timer and the next duplicate opens a new one', async () => {
  const sent: Alert[] = [];
  const coalescer = new StormCoalescer({
    windowMs: 30,
    deliver: async (_t, a) => (sent.push(a), { result: 'signalled', runId: 'r' }),
    logger: pino({ level: 'silent' }),
  });
  await coalescer.submit(target, alert());
  await coalescer.submit(target, alert());
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(sent.map((a) => a.count), [1, 1]);
  await coalescer.submit(target, alert());
  assert.equal(sent.length, 3, 'a new window sends its first alert at once');
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
