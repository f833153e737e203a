// The generic JSON webhook: one alert or `{ alerts: [...] }`, defaults for what a script leaves out,
// a stable fingerprint, and every problem named at its path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { parseConfig } from '../../config/load';
import { findService } from '../../config/services';
import { genericFingerprint, parseGenericWebhook } from '../../ingress/generic';
import type { IngestOutcome } from '../../ingress/ingest';
import { buildIngressServer } from '../../ingress/server';
import { PayloadValidationError } from '../../ingress/validation';
import type { Alert } from '../../signals/alert';

const NOW = '2025-12-27T10:00:00.000Z';

test('a single alert with only service and name gets every default', () => {
  const [a] = parseGenericWebhook({ service: 'api', name: 'QueueBacklog' }, NOW) as [Alert];
  assert.equal(a.source, 'generic');
  assert.equal(a.status, 'firing');
  assert.equal(a.startsAt, NOW);
  assert.deepEqual(a.risk, []);
  assert.equal(a.count, 1);
  assert.equal(a.fingerprint, genericFingerprint('api', 'QueueBacklog', {}));
});

test('a batch; risk as a comma string or an array; labels change the fingerprint, time does not', () => {
  const alerts = parseGenericWebhook(
    {
      alerts: [
        { service: 'api', name: 'Breach', risk: 'security, auth', labels: { region: 'eu' } },
        { service: 'api', name: 'Breach', status: 'resolved', risk: ['billing'], instance: 1, startsAt: '2025-12-27T11:00:00Z' },
      ],
    },
    NOW,
  );
  assert.deepEqual(alerts.map((a) => a.risk), [['security', 'auth'], ['billing']]);
  assert.equal(alerts[1]?.instance, 1);
  assert.notEqual(alerts[0]?.fingerprint, alerts[1]?.fingerprint);
  assert.equal(parseGenericWebhook({ service: 'api', name: 'Breach' }, 'later')[0]?.fingerprint, alerts[1]?.fingerprint);
});

test('every issue is named with its path', () => {
  assert.throws(
    () => parseGenericWebhook({ alerts: [{ name: 'X', status: 'broken' }, { service: 'api', name: 'Y', instance: -1, startsAt: 'yesterday' }] }),
    (err: PayloadValidationError) => {
      const paths = err.issues.map((i) => i.path).sort();
      assert.deepEqual(paths, ['alerts.0.service', 'alerts.0.status', 'alerts.1.instance', 'alerts.1.startsAt']);
      return true;
    },
  );
  assert.throws(
    () => parseGenericWebhook({ service: 'api', name: 'X', risk: 'pii' }),
    (err: PayloadValidationError) => err.issues[0]?.path === 'risk' && /not a risk flag/.test(err.issues[0].message),
  );
  assert.throws(
    () => parseGenericWebhook({ service: 'api', name: '' }),
    (err: PayloadValidationError) => err.issues[0]?.path === 'name',
  );
});

test('POST /hooks/generic: 202 with outcomes, 400 for invalid payloads and unknown services', async () => {
  const config = parseConfig({ services: [{ name: 'api', basePort: 3000 }] });
  const ingest = {
    assertKnownServices: (alerts: Alert[]) => alerts.forEach((a) => findService(config, a.service)),
    ingest: async (alerts: Alert[]): Promise<IngestOutcome[]> =>
      alerts.map((a) => ({ workflowId: 'w', key: 'k', service: a.service, alert: a.name, status: a.status, result: 'coalesced', runId: 'r' })),
  };
  const app = buildIngressServer({ config, ingest, ready: async () => true, logger: pino({ level: 'silent' }) });
  try {
    const post = (payload: unknown) =>
      app.inject({ method: 'POST', url: '/hooks/generic', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
    const ok = await post({ service: 'api', name: 'QueueBacklog' });
    assert.equal(ok.statusCode, 202, ok.body);
    assert.equal(ok.json().incidents[0].result, 'coalesced');
    const invalid = await post({ name: 'QueueBacklog' });
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().issues[0].path, 'service');
    const unknown = await post({ service: 'nope', name: 'X' });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.json().message, /nope/);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /zt_alerts_coalesced_total\{source="generic"\} 1/);
    assert.match(metrics, /zt_webhook_rejected_total\{source="generic",reason="invalid_payload"\} 1/);
    assert.match(metrics, /zt_webhook_rejected_total\{source="generic",reason="unknown_service"\} 1/);
  } finally {
    await app.close();
  }
});
