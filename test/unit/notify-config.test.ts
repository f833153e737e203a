// The notifiers config: defaults, environment secrets, and refusals that name the bad field.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../config/load';
import { configSchema } from '../../config/schema';
import { PAGERDUTY_EVENTS_URL, webhookSecretEnvName, withNotifierEnv } from '../../config/notifiers';

const KEY = 'R0UT1NGKEY0123456789abcdefABCDEF'; // 32 characters, like PagerDuty's

describe('notifiers config', () => {
  test('nothing configured: no channel, 5 s per request, links to the local Web UI', () => {
    const { notifiers } = parseConfig({});
    assert.equal(notifiers.slack, undefined);
    assert.equal(notifiers.pagerduty, undefined);
    assert.deepEqual(notifiers.webhooks, []);
    assert.equal(notifiers.timeoutMs, 5000);
    assert.equal(notifiers.publicUrl, 'http://localhost:8233');
  });

  test('a full section: PagerDuty defaults to the Events API v2 endpoint, the public URL loses its trailing slash', () => {
    const { notifiers } = parseConfig({
      notifiers: {
        slack: { webhookUrl: 'https://hooks.slack.com/services/T0/B0/x', channel: '#ops', username: 'zero-touch' },
        pagerduty: { routingKey: KEY },
        webhooks: [{ name: 'ops-bus', url: 'https://bus.example.com/zt', events: ['resolved', 'escalated'], headers: { Authorization: 'Bearer t' }, hmacSecret: 'a-long-enough-secret' }],
        timeoutMs: 2000,
        publicUrl: 'https://temporal.example.com/',
      },
    });
    assert.equal(notifiers.pagerduty?.eventsUrl, PAGERDUTY_EVENTS_URL);
    assert.equal(notifiers.slack?.channel, '#ops');
    assert.deepEqual(notifiers.webhooks[0]?.events, ['resolved', 'escalated']);
    assert.equal(notifiers.publicUrl, 'https://temporal.example.com');
  });

  test('a routing key of another length is accepted (PagerDuty-compatible receivers)', () => {
    assert.equal(parseConfig({ notifiers: { pagerduty: { routingKey: 'short-key' } } }).notifiers.pagerduty?.routingKey, 'short-key');
  });

  const hook = { name: 'ops', url: 'https://bus.example.com/zt', events: ['resolved'] };
  const bad: Array<[string, unknown, RegExp]> = [
    ['Slack URL not a URL', { slack: { webhookUrl: 'hooks.slack.com/x' } }, /notifiers\.slack\.webhookUrl: must be an absolute http\(s\) URL/],
    ['Slack URL missing', { slack: {} }, /notifiers\.slack\.webhookUrl/],
    ['misspelt Slack key', { slack: { webhookUrl: 'https://h.example/x', chanel: '#ops' } }, /notifiers\.slack: .*chanel/],
    ['routing key missing', { pagerduty: {} }, /notifiers\.pagerduty\.routingKey/],
    ['routing key empty', { pagerduty: { routingKey: '' } }, /notifiers\.pagerduty\.routingKey: must not be empty/],
    ['routing key with a pasted newline', { pagerduty: { routingKey: `${KEY}\n` } }, /notifiers\.pagerduty\.routingKey: must not contain whitespace/],
    ['events URL ftp', { pagerduty: { routingKey: KEY, eventsUrl: 'ftp://x' } }, /notifiers\.pagerduty\.eventsUrl: must be an absolute http\(s\) URL/],
    ['webhook without events', { webhooks: [{ ...hook, events: [] }] }, /notifiers\.webhooks\.0\.events: must list at least one of resolved, escalated, human-resolved, page-resolved/],
    ['webhook unknown event', { webhooks: [{ ...hook, events: ['fixed'] }] }, /notifiers\.webhooks\.0\.events\.0/],
    ['webhook name twice', { webhooks: [hook, { ...hook }] }, /notifiers\.webhooks\.1\.name: "ops" is listed twice/],
    ['webhook bad name', { webhooks: [{ ...hook, name: 'ops bus' }] }, /notifiers\.webhooks\.0\.name: must be/],
    ['short HMAC secret', { webhooks: [{ ...hook, hmacSecret: 'short' }] }, /notifiers\.webhooks\.0\.hmacSecret: must be at least 16 characters/],
    ['misspelt HMAC key', { webhooks: [{ ...hook, hmacsecret: 'a-long-enough-secret' }] }, /notifiers\.webhooks\.0: .*hmacsecret/],
    ['overriding the signature header', { webhooks: [{ ...hook, headers: { 'X-ZeroTouch-Signature': 'x' } }] }, /notifiers\.webhooks\.0\.headers\.X-ZeroTouch-Signature: "X-ZeroTouch-Signature" is set by zero-touch/],
    ['bad header name', { webhooks: [{ ...hook, headers: { 'bad header': 'x' } }] }, /notifiers\.webhooks\.0\.headers\.bad header: "bad header" is not a valid header name/],
    ['timeout too long for the activity', { timeoutMs: 60_000 }, /notifiers\.timeoutMs/],
    ['public URL', { publicUrl: 'localhost:8233' }, /notifiers\.publicUrl: must be an absolute http\(s\) URL/],
  ];
  for (const [name, notifiers, message] of bad) {
    test(`refused with the field named: ${name}`, () => {
      assert.throws(
        () => parseConfig({ notifiers }),
        (e: unknown) => e instanceof ConfigError && (message.test(e.message) || assert.fail(`"${e.message}" does not match ${message}`)),
      );
    });
  }

  describe('secrets from the environment', () => {
    const parse = (raw: Record<string, unknown>, env: NodeJS.ProcessEnv) =>
      configSchema.parse({ ...raw, notifiers: withNotifierEnv(raw.notifiers, env) }).notifiers;

    test('no secret in the environment: the section is returned as it is', () => {
      const raw = { slack: { webhookUrl: 'https://h.example/x' } };
      assert.equal(withNotifierEnv(raw, {}), raw);
      assert.equal(withNotifierEnv(undefined, {}), undefined);
    });

    test('ZT_SLACK_WEBHOOK_URL and ZT_PAGERDUTY_ROUTING_KEY create or override their sections', () => {
      const n = parse({ notifiers: { pagerduty: { routingKey: 'from-file', source: 'web-1' } } }, { ZT_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/secret', ZT_PAGERDUTY_ROUTING_KEY: KEY });
      assert.equal(n.slack?.webhookUrl, 'https://hooks.slack.com/services/T/B/secret');
      assert.equal(n.pagerduty?.routingKey, KEY);
      assert.equal(n.pagerduty?.source, 'web-1', 'the rest of the section is kept');
      assert.ok(parse({}, { ZT_PAGERDUTY_ROUTING_KEY: KEY }).pagerduty, 'no notifiers section in the file');
    });

    test('one HMAC secret per webhook: ZT_NOTIFY_WEBHOOK_<NAME>_SECRET', () => {
      assert.equal(webhookSecretEnvName('ops-bus'), 'ZT_NOTIFY_WEBHOOK_OPS_BUS_SECRET');
      const n = parse(
        { notifiers: { webhooks: [{ name: 'ops-bus', url: 'https://b.example/x', events: ['resolved'] }, { name: 'audit', url: 'https://a.example/x', events: ['escalated'] }] } },
        { ZT_NOTIFY_WEBHOOK_OPS_BUS_SECRET: 'a-long-enough-secret' },
      );
      assert.equal(n.webhooks[0]?.hmacSecret, 'a-long-enough-secret');
      assert.equal(n.webhooks[1]?.hmacSecret, undefined);
    });

    test('a secret from the environment is validated like one from the file', () => {
      assert.throws(() => parse({}, { ZT_SLACK_WEBHOOK_URL: 'not a url' }), /webhookUrl/);
    });
  });
});
