// The generic webhook envelope, its signature, and how a receiver's answer is judged.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signBody, webhookEnvelope, webhookHeaders } from '../../notify/webhook';
import { describeTarget, judgeStatus } from '../../notify/http';
import { samplePage, sampleReport } from '../helpers/receivers';

const opts = { publicUrl: 'http://localhost:8233', namespace: 'default', now: new Date('2025-01-01T10:00:00Z') };

describe('generic webhook', () => {
  test('resolved and human-resolved carry the report', () => {
    const report = sampleReport();
    const e = webhookEnvelope({ event: 'resolved', report }, opts);
    assert.deepEqual(e, {
      event: 'resolved',
      version: 1,
      incidentId: report.incidentId,
      workflowId: report.workflowId,
      runId: report.runId,
      service: 'localize-api',
      sentAt: '2025-01-01T10:00:00.000Z',
      deliveryId: `${report.incidentId}:resolved`,
      link: `http://localhost:8233/namespaces/default/workflows/${report.workflowId}/${report.runId}`,
      report,
    });
    assert.equal(webhookEnvelope({ event: 'human-resolved', report }, opts).deliveryId, `${report.incidentId}:human-resolved`);
  });

  test('escalated carries the page; page-resolved who closed it and why', () => {
    const page = samplePage();
    const esc = webhookEnvelope({ event: 'escalated', page }, opts);
    assert.equal(esc.event, 'escalated');
    assert.deepEqual(esc.event === 'escalated' && esc.page, page);
    assert.equal(esc.runId, null);
    const res = webhookEnvelope({ event: 'page-resolved', resolution: { incidentId: page.incidentId, workflowId: page.workflowId, service: page.service, operator: 'alice' }, runId: 'run-9' }, opts);
    assert.deepEqual(res.event === 'page-resolved' && res.resolution, { operator: 'alice', reason: null });
    assert.equal(res.runId, 'run-9');
    assert.equal(res.incidentId, page.incidentId);
  });

  test('signature: sha256=<hex HMAC-SHA256 of the raw body>; our headers win over configured ones', () => {
    const body = JSON.stringify(webhookEnvelope({ event: 'resolved', report: sampleReport() }, opts));
    const expected = `sha256=${createHmac('sha256', 'a-long-enough-secret').update(body).digest('hex')}`;
    assert.equal(signBody(body, 'a-long-enough-secret'), expected);
    const h = webhookHeaders(body, { event: 'resolved', deliveryId: 'INC-1:resolved' }, { headers: { Authorization: 'Bearer t' }, hmacSecret: 'a-long-enough-secret' });
    assert.deepEqual(h, {
      Authorization: 'Bearer t',
      'content-type': 'application/json',
      'X-ZeroTouch-Event': 'resolved',
      'X-ZeroTouch-Delivery': 'INC-1:resolved',
      'X-ZeroTouch-Signature': expected,
    });
    assert.equal(webhookHeaders(body, { event: 'resolved', deliveryId: 'd' }, {})['X-ZeroTouch-Signature'], undefined, 'unsigned without a secret');
  });

  test('answers: 2xx delivered; 408, 429, 5xx retried; other 4xx and redirects refused', () => {
    const cases: Array<[number, string]> = [[200, 'delivered'], [202, 'delivered'], [204, 'delivered'], [408, 'retry'], [429, 'retry'], [500, 'retry'], [503, 'retry'], [400, 'refused'], [401, 'refused'], [403, 'refused'], [404, 'refused'], [410, 'refused'], [301, 'refused']];
    for (const [status, verdict] of cases) assert.equal(judgeStatus(status), verdict, `HTTP ${status}`);
  });

  test('only the host of a target is ever recorded (webhook URLs carry secrets)', () => {
    assert.equal(describeTarget('https://hooks.slack.com/services/T0/B0/SECRET'), 'hooks.slack.com');
    assert.equal(describeTarget('http://127.0.0.1:9999/x?token=s'), '127.0.0.1:9999');
  });
});
