// Grafana unified alerting: payload version 1 normalised like Alertmanager's, and the HMAC signature
// (with and without the timestamp header) checked over the raw body, through the real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { parseConfig } from '../../config/load';
import { findService } from '../../config/services';
import { parseGrafanaWebhook } from '../../ingress/grafana';
import { grafanaSignature, verifyGrafanaSignature } from '../../ingress/grafana-signature';
import type { IngestOutcome } from '../../ingress/ingest';
import { buildIngressServer } from '../../ingress/server';
import { PayloadValidationError } from '../../ingress/validation';
import type { Alert } from '../../signals/alert';

const SECRET = 'grafana-hmac-secret-0123456789';

function grafanaPayload(labels: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return {
    receiver: 'zero-touch',
    status: 'firing',
    orgId: 1,
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'HighHeap', grafana_folder: 'api', service: 'api', pm2_instance: '1', risk: 'billing', ...labels },
        annotations: { summary: 'heap above 90%' },
        startsAt: '2025-12-27T10:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://grafana/alerting/grafana/abc/view',
        fingerprint: '57c6d9296de2ad39',
        silenceURL: 'http://grafana/alerting/silence/new',
        dashboardURL: '',
        panelURL: '',
        values: { B: 93.5, C: 1 },
        valueString: "[ var='B' labels={} value=93.5 ]",
      },
    ],
    groupLabels: { alertname: 'HighHeap' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://grafana/',
    version: '1',
    groupKey: '{}:{alertname="HighHeap"}',
    truncatedAlerts: 0,
    title: '[FIRING:1] HighHeap',
    state: 'alerting',
    message: '**Firing**',
    ...extra,
  };
}

test('a Grafana alert is normalised with the Alertmanager label rules', () => {
  const { alerts } = parseGrafanaWebhook(grafanaPayload());
  assert.equal(alerts.length, 1);
  const [a] = alerts as [Alert];
  assert.deepEqual(
    { source: a.source, service: a.service, name: a.name, instance: a.instance, risk: a.risk, fingerprint: a.fingerprint, summary: a.summary },
    { source: 'grafana', service: 'api', name: 'HighHeap', instance: 1, risk: ['billing'], fingerprint: '57c6d9296de2ad39', summary: 'heap above 90%' },
  );
});

test('the service may come from "app" or "job"; a missing one and a wrong version are named', () => {
  const viaApp = grafanaPayload({ app: 'web' });
  delete (viaApp.alerts[0]!.labels as Record<string, string>).service;
  assert.equal(parseGrafanaWebhook(viaApp).alerts[0]?.service, 'web');
  assert.throws(
    () => parseGrafanaWebhook({ ...grafanaPayload(), version: '4' }),
    (err: PayloadValidationError) => err.issues.some((i) => i.path === 'version' && /"1"/.test(i.message)),
  );
  const noService = grafanaPayload();
  delete (noService.alerts[0]!.labels as Record<string, string>).service;
  assert.throws(
    () => parseGrafanaWebhook(noService),
    (err: PayloadValidationError) => err.issues.some((i) => i.path === 'alerts.0.labels.service'),
  );
});

test('signature: plain body, timestamped body, wrong, missing, malformed and stale', () => {
  const body = Buffer.from('{"version":"1"}');
  const now = 1_800_000_000;
  assert.doesNotThrow(() => verifyGrafanaSignature(SECRET, body, { 'x-grafana-alerting-signature': grafanaSignature(SECRET, body) }, now));
  const ts = String(now - 10);
  assert.doesNotThrow(() =>
    verifyGrafanaSignature(SECRET, body, { 'x-grafana-alerting-signature': grafanaSignature(SECRET, body, ts), 'x-grafana-alerting-timestamp': ts }, now),
  );
  const refused = (headers: Record<string, string>, pattern: RegExp) =>
    assert.throws(() => verifyGrafanaSignature(SECRET, body, headers, now), (err: Error & { statusCode: number }) => err.statusCode === 401 && pattern.test(err.message));
  refused({}, /missing X-Grafana-Alerting-Signature/);
  refused({ 'x-grafana-alerting-signature': 'zz' }, /64-character hex/);
  refused({ 'x-grafana-alerting-signature': grafanaSignature('another-secret-of-16+', body) }, /does not match/);
  refused({ 'x-grafana-alerting-signature': grafanaSignature(SECRET, body, ts) }, /does not match/);
  const old = String(now - 3600);
  refused({ 'x-grafana-alerting-signature': grafanaSignature(SECRET, body, old), 'x-grafana-alerting-timestamp': old }, /more than 300 s/);
});

function server(http: Record<string, unknown>) {
  const config = parseConfig({ services: [{ name: 'api', basePort: 3000 }], http });
  const calls: Alert[][] = [];
  const ingest = {
    assertKnownServices: (alerts: Alert[]) => alerts.forEach((a) => findService(config, a.service)),
    ingest: async (alerts: Alert[]): Promise<IngestOutcome[]> => {
      calls.push(alerts);
      return alerts.map((a) => ({ workflowId: 'w', key: 'k', service: a.service, alert: a.name, status: a.status, result: 'signalled', runId: 'r' }));
    },
  };
  return { app: buildIngressServer({ config, ingest, ready: async () => true, logger: pino({ level: 'silent' }) }), calls };
}

test('POST /hooks/grafana: 202 with a good signature; 401 naming the problem otherwise, nothing ingested', async () => {
  const { app, calls } = server({ grafanaHmacSecret: SECRET });
  try {
    const payload = JSON.stringify(grafanaPayload());
    const post = (headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/hooks/grafana', headers: { 'content-type': 'application/json', ...headers }, payload });
    const missing = await post({});
    assert.equal(missing.statusCode, 401);
    assert.equal(missing.json().error, 'unauthorized');
    assert.match(missing.json().message, /X-Grafana-Alerting-Signature/);
    assert.equal((await post({ 'x-grafana-alerting-signature': grafanaSignature(SECRET, Buffer.from(`${payload} `)) })).statusCode, 401);
    assert.equal(calls.length, 0);
    const ok = await post({ 'x-grafana-alerting-signature': grafanaSignature(SECRET, Buffer.from(payload)) });
    assert.equal(ok.statusCode, 202, ok.body);
    assert.equal(calls[0]?.[0]?.source, 'grafana');
    const metrics = await (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /zt_webhook_rejected_total\{source="grafana",reason="unauthorized"\} 2/);
    assert.match(metrics, /zt_alerts_received_total\{source="grafana",status="firing"\} 1/);
  } finally {
    await app.close();
  }
});

test('POST /hooks/grafana without a secret configured needs no signature; unknown services get 400', async () => {
  const { app } = server({});
  try {
    const post = (payload: unknown) => app.inject({ method: 'POST', url: '/hooks/grafana', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
    assert.equal((await post(grafanaPayload())).statusCode, 202);
    const unknown = await post(grafanaPayload({ service: 'billing-api' }));
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().error, 'unknown_service');
    assert.match(unknown.json().message, /api/);
  } finally {
    await app.close();
  }
});
