// The HTTP ingress through fastify's inject: the happy path echoes the ingest outcomes; every bad
// request gets the right status and a JSON error naming the problem, and nothing reaches ingest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../../config/load';
import { findService } from '../../config/services';
import type { IngestOutcome } from '../../ingress/ingest';
import { buildIngressServer } from '../../ingress/server';
import type { Alert } from '../../signals/alert';

const TOKEN = 'a-webhook-token-of-32-characters';
const silent = pino({ level: 'silent' });

/** Records every call; validates services against the config exactly like the real Ingest. */
class RecordingIngest {
  readonly ingestCalls: Alert[][] = [];
  failWith: Error | undefined;

  constructor(private readonly config = testConfig()) {}

  assertKnownServices(alerts: Alert[]): void {
    for (const alert of alerts) findService(this.config, alert.service);
  }

  async ingest(alerts: Alert[]): Promise<IngestOutcome[]> {
    this.ingestCalls.push(alerts);
    if (this.failWith) throw this.failWith;
    return alerts.map((alert) => ({
      workflowId: `incident-${alert.service}.availability`,
      key: `${alert.service}.availability`,
      service: alert.service,
      alert: alert.name,
      status: alert.status,
      result: 'signalled',
      runId: 'run-1',
    }));
  }
}

function testConfig(http: Record<string, unknown> = {}) {
  return parseConfig({
    services: [
      { name: 'api', basePort: 3000, instances: 2 },
      { name: 'worker', basePort: 4000 },
    ],
    http: { bodyLimitBytes: 4096, ...http },
  });
}

interface Harness {
  app: FastifyInstance;
  ingest: RecordingIngest;
  registry: Registry;
}

function harness(options: { token?: string; ready?: () => Promise<boolean> } = {}): Harness {
  const config = testConfig(options.token ? { webhookToken: options.token } : {});
  const ingest = new RecordingIngest(config);
  const registry = new Registry();
  const app = buildIngressServer({
    config,
    ingest,
    ready: options.ready ?? (async () => true),
    logger: silent,
    registry,
  });
  return { app, ingest, registry };
}

async function withServer(
  options: Parameters<typeof harness>[0],
  fn: (h: Harness) => Promise<void>,
): Promise<void> {
  const h = harness(options);
  try {
    await fn(h);
  } finally {
    await h.app.close();
  }
}

function amAlert(labels: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    status: 'firing',
    labels: { alertname: 'InstanceDown', service: 'api', pm2_instance: '0', ...labels },
    annotations: { summary: 'api instance 0 is down' },
    startsAt: '2025-12-27T10:00:00.000Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: 'a1b2c3d4e5f60718',
    ...extra,
  };
}

function amPayload(alerts: unknown[] = [amAlert()], extra: Record<string, unknown> = {}) {
  return { version: '4', groupKey: '{}:{}', status: 'firing', receiver: 'zt', externalURL: 'http://am', alerts, ...extra };
}

function post(app: FastifyInstance, body: unknown, headers: Record<string, string> = {}) {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  return app.inject({
    method: 'POST',
    url: '/hooks/alertmanager',
    headers: { 'content-type': 'application/json', ...headers },
    payload,
  });
}

test('202: valid alerts are ingested and the outcomes echoed', async () => {
  await withServer({}, async ({ app, ingest }) => {
    const response = await post(app, amPayload([amAlert(), amAlert({ service: 'worker', alertname: 'HighMemory' }, { fingerprint: 'f2' })]));
    assert.equal(response.statusCode, 202, response.body);
    const body = response.json();
    assert.equal(body.accepted, 2);
    assert.deepEqual(
      body.incidents.map((i: IngestOutcome) => [i.workflowId, i.alert, i.result]),
      [
        ['incident-api.availability', 'InstanceDown', 'signalled'],
        ['incident-worker.availability', 'HighMemory', 'signalled'],
      ],
    );
    assert.equal(ingest.ingestCalls.length, 1);
    const [first] = ingest.ingestCalls[0] ?? [];
    assert.equal(first?.source, 'alertmanager');
    assert.equal(first?.service, 'api');
    assert.equal(first?.instance, 0);
    assert.equal(first?.summary, 'api instance 0 is down');
  });
});

test('202 with the right bearer token; content-type parameters are accepted', async () => {
  await withServer({ token: TOKEN }, async ({ app, ingest }) => {
    const response = await post(app, amPayload(), {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json; charset=utf-8',
    });
    assert.equal(response.statusCode, 202, response.body);
    assert.equal(ingest.ingestCalls.length, 1);
  });
});

interface BadCase {
  name: string;
  token?: string;
  body: unknown;
  headers?: Record<string, string>;
  status: number;
  error: string;
  message: RegExp;
  paths?: string[];
}

const oversized = amPayload([amAlert({}, { annotations: { summary: 'x'.repeat(5000) } })]);

const badCases: BadCase[] = [
  { name: 'malformed JSON', body: '{"version": "4", "alerts": [', status: 400, error: 'invalid_json', message: /not valid JSON/ },
  { name: 'empty body', body: '', status: 400, error: 'invalid_json', message: /body is empty/ },
  {
    name: 'prototype poisoning',
    body: '{"version":"4","__proto__":{"polluted":true}}',
    status: 400,
    error: 'invalid_json',
    message: /__proto__/,
  },
  {
    name: 'constructor.prototype poisoning',
    body: '{"version":"4","alerts":[],"x":{"constructor":{"prototype":{"polluted":true}}}}',
    status: 400,
    error: 'invalid_json',
    message: /"constructor.prototype" is not allowed/,
  },
  { name: 'JSON that is not an object', body: '[1,2]', status: 400, error: 'invalid_payload', message: /JSON object/, paths: ['(root)'] },
  { name: 'missing alerts', body: { version: '4' }, status: 400, error: 'invalid_payload', message: /alerts/, paths: ['alerts'] },
  {
    name: 'missing alertname and startsAt',
    body: amPayload([amAlert({ alertname: undefined }, { startsAt: undefined })]),
    status: 400,
    error: 'invalid_payload',
    message: /alerts\.0\.labels\.alertname: is required/,
    paths: ['alerts.0.labels.alertname', 'alerts.0.startsAt'],
  },
  {
    name: 'wrong types',
    body: amPayload([amAlert({ alertname: 42 }, { status: 'pending' })]),
    status: 400,
    error: 'invalid_payload',
    message: /alerts\.0\.labels\.alertname: must be a string/,
    paths: ['alerts.0.labels.alertname', 'alerts.0.status'],
  },
  { name: 'version "3"', body: amPayload(undefined, { version: '3' }), status: 400, error: 'invalid_payload', message: /version: must be "4"/, paths: ['version'] },
  { name: 'empty alerts', body: amPayload([]), status: 400, error: 'invalid_payload', message: /alerts: must contain at least one alert/, paths: ['alerts'] },
  {
    name: 'bad risk value',
    body: amPayload([amAlert({ risk: 'auth,outage' })]),
    status: 400,
    error: 'invalid_payload',
    message: /"outage" is not a risk flag; allowed: security, data-consistency, auth, billing/,
    paths: ['alerts.0.labels.risk'],
  },
  {
    name: 'no service label',
    body: amPayload([amAlert({ service: undefined })]),
    status: 400,
    error: 'invalid_payload',
    message: /alerts\.0\.labels\.service: is required/,
    paths: ['alerts.0.labels.service'],
  },
  {
    name: 'unknown service (one good alert, one bad: nothing is ingested)',
    body: amPayload([amAlert(), amAlert({ service: 'payments' })]),
    status: 400,
    error: 'unknown_service',
    message: /unknown service "payments" \(configured: api, worker\)/,
  },
  { name: 'missing token', token: TOKEN, body: amPayload(), status: 401, error: 'unauthorized', message: /^missing bearer token$/ },
  {
    name: 'not a bearer scheme',
    token: TOKEN,
    body: amPayload(),
    headers: { authorization: `Basic ${Buffer.from(`zt:${TOKEN}`).toString('base64')}` },
    status: 401,
    error: 'unauthorized',
    message: /^missing bearer token$/,
  },
  {
    name: 'wrong token',
    token: TOKEN,
    body: amPayload(),
    headers: { authorization: `Bearer ${TOKEN}x` },
    status: 401,
    error: 'unauthorized',
    message: /^invalid bearer token$/,
  },
  {
    name: 'wrong token is refused before the content type is looked at',
    token: TOKEN,
    body: 'hello',
    headers: { authorization: 'Bearer nope', 'content-type': 'text/plain' },
    status: 401,
    error: 'unauthorized',
    message: /invalid bearer token/,
  },
  { name: 'oversized body', body: oversized, status: 413, error: 'payload_too_large', message: /limit of 4096 bytes/ },
  {
    name: 'text/plain',
    body: JSON.stringify(amPayload()),
    headers: { 'content-type': 'text/plain' },
    status: 415,
    error: 'unsupported_media_type',
    message: /must be application\/json, got "text\/plain"/,
  },
];

for (const c of badCases) {
  test(`${c.status} ${c.error}: ${c.name}`, async () => {
    await withServer(c.token ? { token: c.token } : {}, async ({ app, ingest, registry }) => {
      const response = await post(app, c.body, c.headers);
      assert.equal(response.statusCode, c.status, response.body);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      const body = response.json();
      assert.equal(body.error, c.error);
      assert.match(body.message, c.message);
      if (c.paths) assert.deepEqual(body.issues.map((i: { path: string }) => i.path).sort(), [...c.paths].sort());
      else assert.equal(body.issues, undefined);
      if (c.status === 401) assert.match(String(response.headers['www-authenticate']), /^Bearer/);
      assert.equal(ingest.ingestCalls.length, 0, 'ingest must not be called');
      const metrics = await registry.metrics();
      assert.match(metrics, new RegExp(`zt_webhook_rejected_total\\{source="alertmanager",reason="${c.error}"\\} 1`));
    });
  });
}

test('415 when the content-type header is missing', async () => {
  await withServer({}, async ({ app, ingest }) => {
    const response = await app.inject({ method: 'POST', url: '/hooks/alertmanager', payload: Buffer.from('{}') });
    assert.equal(response.statusCode, 415, response.body);
    assert.deepEqual(response.json(), {
      error: 'unsupported_media_type',
      message: 'content-type header is missing; send the body as application/json',
    });
    assert.equal(ingest.ingestCalls.length, 0);
  });
});

test('503 unavailable when ingest throws (Temporal down), so Alertmanager retries', async () => {
  await withServer({}, async ({ app, ingest, registry }) => {
    ingest.failWith = new Error('14 UNAVAILABLE: connection refused');
    const response = await post(app, amPayload());
    assert.equal(response.statusCode, 503, response.body);
    const body = response.json();
    assert.equal(body.error, 'unavailable');
    assert.match(body.message, /connection refused/);
    const metrics = await registry.metrics();
    assert.match(metrics, /zt_webhook_rejected_total\{source="alertmanager",reason="unavailable"\} 1/);
    assert.match(metrics, /zt_ingest_duration_seconds_count\{source="alertmanager",outcome="error"\} 1/);
    assert.doesNotMatch(metrics, /zt_alerts_received_total\{/);
  });
});

test('GET /healthz answers ok, with no token even when one is configured', async () => {
  await withServer({ token: TOKEN, ready: async () => false }, async ({ app }) => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
  });
});

test('GET /readyz: 200 when Temporal is reachable, 503 with a reason when not', async () => {
  await withServer({ token: TOKEN, ready: async () => true }, async ({ app }) => {
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ready' });
  });
  await withServer({ ready: async () => false }, async ({ app }) => {
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(response.statusCode, 503);
    assert.deepEqual(response.json(), { status: 'not_ready', reason: 'Temporal is not reachable' });
  });
  await withServer({ ready: async () => Promise.reject(new Error('DNS lookup failed')) }, async ({ app }) => {
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(response.statusCode, 503);
    assert.match(response.json().reason, /DNS lookup failed/);
  });
});

test('GET /readyz answers 503 when the readiness check hangs', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let called!: () => void;
  const readyCalled = new Promise<void>((resolve) => (called = resolve));
  const hang = () => {
    called();
    return new Promise<boolean>(() => undefined);
  };
  await withServer({ ready: hang }, async ({ app }) => {
    const pending = app.inject({ method: 'GET', url: '/readyz' });
    await readyCalled;
    t.mock.timers.tick(2_000);
    const response = await pending;
    assert.equal(response.statusCode, 503);
    assert.match(response.json().reason, /did not answer within 2000 ms/);
  });
});

test('GET /metrics: the ingress counters, histogram and process metrics, without a token', async () => {
  await withServer({ token: TOKEN }, async ({ app }) => {
    const accepted = await post(app, amPayload([amAlert(), amAlert({}, { status: 'resolved', fingerprint: 'f9' })]), {
      authorization: `Bearer ${TOKEN}`,
    });
    assert.equal(accepted.statusCode, 202, accepted.body);
    await post(app, amPayload());
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const text = response.body;
    assert.match(text, /# TYPE zt_alerts_received_total counter/);
    assert.match(text, /zt_alerts_received_total\{source="alertmanager",status="firing"\} 1/);
    assert.match(text, /zt_alerts_received_total\{source="alertmanager",status="resolved"\} 1/);
    assert.match(text, /# TYPE zt_webhook_rejected_total counter/);
    assert.match(text, /zt_webhook_rejected_total\{source="alertmanager",reason="unauthorized"\} 1/);
    assert.match(text, /# TYPE zt_ingest_duration_seconds histogram/);
    assert.match(text, /zt_ingest_duration_seconds_count\{source="alertmanager",outcome="ok"\} 1/);
    assert.match(text, /process_cpu_user_seconds_total/);
    assert.match(text, /nodejs_heap_size_used_bytes/);
  });
});

test('two servers may share one registry, and servers without one get their own', async () => {
  const config = testConfig();
  const registry = new Registry();
  const build = (r?: Registry) =>
    buildIngressServer({ config, ingest: new RecordingIngest(config), ready: async () => true, logger: silent, ...(r ? { registry: r } : {}) });
  const servers = [build(registry), build(registry), build(), build()];
  try {
    for (const app of servers.slice(0, 2)) assert.equal((await post(app, amPayload())).statusCode, 202);
    assert.match(await registry.metrics(), /zt_alerts_received_total\{source="alertmanager",status="firing"\} 2/);
  } finally {
    await Promise.all(servers.map((app) => app.close()));
  }
});

test('unknown routes answer a JSON 404', async () => {
  await withServer({}, async ({ app }) => {
    const response = await app.inject({ method: 'POST', url: '/hooks/pagerduty', payload: {} });
    assert.equal(response.statusCode, 404);
    assert.deepEqual(response.json(), { error: 'not_found', message: 'no route POST /hooks/pagerduty' });
  });
});
