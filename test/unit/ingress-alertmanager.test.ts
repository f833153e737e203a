// Alertmanager webhook → normalised alerts: which label names the service, how risk and instance are
// read, that fingerprints are stable, and that every problem is reported with the sender's field path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  alertmanagerPayloadSchema,
  labelsFingerprint,
  normalizeAlertmanager,
  parseAlertmanagerWebhook,
} from '../../ingress/alertmanager';
import { PayloadValidationError } from '../../ingress/validation';

type Labels = Record<string, string>;

function amAlert(labels: Labels, extra: Record<string, unknown> = {}) {
  return {
    status: 'firing',
    labels: { alertname: 'InstanceDown', ...labels },
    annotations: { summary: 'instance 0 is down' },
    startsAt: '2025-12-27T10:00:00.000Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: 'a1b2c3d4e5f60718',
    ...extra,
  };
}

function amPayload(alerts: unknown[], extra: Record<string, unknown> = {}) {
  return {
    version: '4',
    groupKey: '{}:{alertname="InstanceDown"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'zero-touch',
    groupLabels: { alertname: 'InstanceDown' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
    ...extra,
  };
}

function issuesOf(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(err)}`);
    return err.issues;
  }
  assert.fail('expected a PayloadValidationError');
}

function normalizeOne(labels: Labels, extra: Record<string, unknown> = {}) {
  const payload = alertmanagerPayloadSchema.parse(amPayload([amAlert(labels, extra)]));
  const [input] = normalizeAlertmanager(payload);
  assert.ok(input);
  return input;
}

test('service comes from labels.service, then app, then job', () => {
  const table: Array<[Labels, string]> = [
    [{ service: 'api', app: 'other', job: 'node' }, 'api'],
    [{ app: 'worker', job: 'node' }, 'worker'],
    [{ job: 'billing' }, 'billing'],
  ];
  for (const [labels, service] of table) assert.equal(normalizeOne(labels).service, service, JSON.stringify(labels));
});

test('an alert with no service, app or job label is refused, naming alerts[i].labels.service', () => {
  const payload = alertmanagerPayloadSchema.parse(amPayload([amAlert({ service: 'api' }), amAlert({})]));
  const issues = issuesOf(() => normalizeAlertmanager(payload));
  assert.equal(issues.length, 1);
  assert.equal(issues[0]?.path, 'alerts.1.labels.service');
  assert.match(issues[0]?.message ?? '', /service.*app.*job/);
});

test('the fields map as documented', () => {
  const input = normalizeOne({ service: 'api', severity: 'page' });
  assert.deepEqual(input, {
    source: 'alertmanager',
    service: 'api',
    name: 'InstanceDown',
    status: 'firing',
    summary: 'instance 0 is down',
    labels: { alertname: 'InstanceDown', service: 'api', severity: 'page' },
    annotations: { summary: 'instance 0 is down' },
    risk: [],
    startsAt: '2025-12-27T10:00:00.000Z',
    fingerprint: 'a1b2c3d4e5f60718',
  });
});

test('summary falls back to annotations.description, then to empty', () => {
  const table: Array<[Labels, string]> = [
    [{ summary: 'short', description: 'long' }, 'short'],
    [{ description: 'long' }, 'long'],
    [{}, ''],
  ];
  for (const [annotations, summary] of table) {
    assert.equal(normalizeOne({ service: 'api' }, { annotations }).summary, summary, JSON.stringify(annotations));
  }
});

test('risk is read from the comma-separated `risk` label, trimmed and de-duplicated', () => {
  const table: Array<[string | undefined, string[]]> = [
    [undefined, []],
    ['', []],
    ['security', ['security']],
    ['auth, billing', ['auth', 'billing']],
    ['data-consistency,security,,security', ['data-consistency', 'security']],
  ];
  for (const [risk, expected] of table) {
    const labels: Labels = risk === undefined ? { service: 'api' } : { service: 'api', risk };
    assert.deepEqual(normalizeOne(labels).risk, expected, String(risk));
  }
});

test('an unknown risk value is refused, naming the field and the allowed values', () => {
  const payload = alertmanagerPayloadSchema.parse(amPayload([amAlert({ service: 'api', risk: 'auth,fire' })]));
  const issues = issuesOf(() => normalizeAlertmanager(payload));
  assert.deepEqual(
    issues.map((i) => i.path),
    ['alerts.0.labels.risk'],
  );
  assert.match(issues[0]?.message ?? '', /"fire".*security, data-consistency, auth, billing/);
});

test('instance comes from an integer pm2_instance label; anything else is refused', () => {
  assert.equal(normalizeOne({ service: 'api', pm2_instance: '1' }).instance, 1);
  assert.equal(normalizeOne({ service: 'api' }).instance, undefined);
  assert.equal('instance' in normalizeOne({ service: 'api' }), false);
  for (const bad of ['one', '-1', '1.5', '']) {
    const payload = alertmanagerPayloadSchema.parse(amPayload([amAlert({ service: 'api', pm2_instance: bad })]));
    const issues = issuesOf(() => normalizeAlertmanager(payload));
    assert.equal(issues[0]?.path, 'alerts.0.labels.pm2_instance', bad);
  }
});

test('an instance out of range is refused by the alert schema, reported at the label it came from', () => {
  const issues = issuesOf(() => parseAlertmanagerWebhook(amPayload([amAlert({ service: 'api', pm2_instance: '5000' })])));
  assert.deepEqual(
    issues.map((i) => i.path),
    ['alerts.0.labels.pm2_instance'],
  );
});

test('fingerprint: the given one wins; without it a sha256 of the sorted labels, stable across label order', () => {
  assert.equal(normalizeOne({ service: 'api' }).fingerprint, 'a1b2c3d4e5f60718');
  const a = normalizeOne({ service: 'api', zone: 'eu', pm2_instance: '0' }, { fingerprint: undefined }).fingerprint;
  const b = normalizeOne({ pm2_instance: '0', zone: 'eu', service: 'api' }, { fingerprint: '' }).fingerprint;
  const other = normalizeOne({ service: 'api', zone: 'us', pm2_instance: '0' }, { fingerprint: undefined }).fingerprint;
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.equal(a, b);
  assert.notEqual(a, other);
  assert.equal(a, labelsFingerprint({ alertname: 'InstanceDown', pm2_instance: '0', service: 'api', zone: 'eu' }));
});

test('resolved alerts normalise with status resolved and keep startsAt as given', () => {
  const input = normalizeOne({ service: 'api' }, { status: 'resolved', endsAt: '2025-12-27T10:05:00.000Z' });
  assert.equal(input.status, 'resolved');
  assert.equal(input.startsAt, '2025-12-27T10:00:00.000Z');
});

test('several alerts in one group each become an alert, in order', () => {
  const { alerts, truncatedAlerts } = parseAlertmanagerWebhook(
    amPayload(
      [
        amAlert({ service: 'api', pm2_instance: '0' }, { fingerprint: 'f0' }),
        amAlert({ service: 'api', pm2_instance: '1' }, { fingerprint: 'f1', status: 'resolved' }),
        amAlert({ app: 'worker', alertname: 'HighMemory' }, { fingerprint: 'f2' }),
      ],
      { truncatedAlerts: 2 },
    ),
  );
  assert.deepEqual(
    alerts.map((a) => [a.service, a.name, a.instance, a.status, a.fingerprint]),
    [
      ['api', 'InstanceDown', 0, 'firing', 'f0'],
      ['api', 'InstanceDown', 1, 'resolved', 'f1'],
      ['worker', 'HighMemory', undefined, 'firing', 'f2'],
    ],
  );
  assert.equal(truncatedAlerts, 2);
});

test('extra fields anywhere are ignored', () => {
  const { alerts } = parseAlertmanagerWebhook(
    amPayload([amAlert({ service: 'api' }, { silencedBy: [], inhibitedBy: [] })], { futureField: { x: 1 } }),
  );
  assert.equal(alerts.length, 1);
});

test('schema problems are all reported, each with its path', () => {
  const table: Array<[string, unknown, string[]]> = [
    ['version 3', amPayload([amAlert({ service: 'api' })], { version: '3' }), ['version']],
    ['no alerts', amPayload([]), ['alerts']],
    ['alerts not an array', amPayload([], { alerts: 'nope' }), ['alerts']],
    ['body not an object', 'hello', ['(root)']],
    [
      'missing alertname and bad status',
      amPayload([amAlert({ service: 'api' }, { status: 'pending', labels: { service: 'api' } })]),
      ['alerts.0.status', 'alerts.0.labels.alertname'],
    ],
    ['alertname a number', amPayload([amAlert({ service: 'api', alertname: 42 as unknown as string })]), ['alerts.0.labels.alertname']],
    ['missing startsAt', amPayload([amAlert({ service: 'api' }, { startsAt: undefined })]), ['alerts.0.startsAt']],
    [
      'service too long for the alert schema',
      amPayload([amAlert({ app: 'x'.repeat(64) })]),
      ['alerts.0.labels.app'],
    ],
  ];
  for (const [name, body, paths] of table) {
    const issues = issuesOf(() => parseAlertmanagerWebhook(body));
    assert.deepEqual(issues.map((i) => i.path).sort(), [...paths].sort(), name);
  }
});

test('the error message names every field', () => {
  try {
    parseAlertmanagerWebhook(amPayload([amAlert({ service: 'api' }, { labels: {} })], { version: '3' }));
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(err instanceof PayloadValidationError);
    assert.match(err.message, /^invalid Alertmanager payload: /);
    assert.match(err.message, /version: must be "4"/);
    assert.match(err.message, /alerts\.0\.labels\.alertname: is required/);
  }
});
