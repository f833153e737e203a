// Config: defaults, environment overrides, clear errors naming the bad field, and state paths.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../config/load';
import { PROJECT_ROOT, pm2HomeOf } from '../../config/paths';
import { effectiveServices, findService, instanceHealthUrl, UnknownServiceError } from '../../config/services';

describe('config', () => {
  test('empty config: the demo service on the embedded defaults', () => {
    const c = parseConfig({});
    assert.equal(c.temporal.taskQueue, 'zero-touch');
    assert.equal(c.http.port, 8088);
    assert.deepEqual(effectiveServices(c).map((s) => s.name), ['localize-api']);
    assert.equal(instanceHealthUrl(effectiveServices(c)[0]!, 1), 'http://127.0.0.1:3101/healthz');
    assert.equal(pm2HomeOf(c), path.join(PROJECT_ROOT, '.zt', 'pm2'));
  });

  test('environment overrides', () => {
    const c = parseConfig({}, { ZT_HTTP_PORT: '9999', ZT_WEBHOOK_TOKEN: 'a-long-enough-token', TEMPORAL_ADDRESS: 'temporal:7233' });
    assert.equal(c.http.port, 9999);
    assert.equal(c.http.webhookToken, 'a-long-enough-token');
    assert.equal(c.temporal.address, 'temporal:7233');
  });

  test('configured services use the configured PM2 daemon', () => {
    const c = parseConfig({ services: [{ name: 'api', basePort: 4000 }], pm2: { home: '/srv/pm2' } });
    assert.equal(pm2HomeOf(c), '/srv/pm2');
    assert.throws(() => findService(c, 'localize-api'), (e: unknown) => e instanceof UnknownServiceError && /unknown service "localize-api" \(configured: api\)/.test(e.message));
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['not an object', [], /config must be a JSON object/],
    ['bad service name', { services: [{ name: 'Bad Name', basePort: 1 }] }, /services\.0\.name: must be/],
    ['missing basePort', { services: [{ name: 'api' }] }, /services\.0\.basePort/],
    ['threshold out of range', { policy: { confidenceThreshold: 2 } }, /policy\.confidenceThreshold/],
    ['short token', { http: { webhookToken: 'short' } }, /http\.webhookToken: must be at least 16 characters/],
    ['duplicate service', { services: [{ name: 'a', basePort: 1 }, { name: 'a', basePort: 2 }] }, /"a" is listed twice/],
    ['unknown mode', { policy: { mode: 'yolo' } }, /policy\.mode/],
  ];
  for (const [name, raw, message] of bad) {
    test(`refused with the field named: ${name}`, () => {
      assert.throws(() => parseConfig(raw), (e: unknown) => e instanceof ConfigError && message.test(e.message));
    });
  }

  test('ZT_CONFIG: inline JSON, a missing file and broken JSON', () => {
    assert.equal(loadConfig({ ZT_CONFIG: '{"http":{"port":1234}}' }).http.port, 1234);
    assert.throws(() => loadConfig({ ZT_CONFIG: '/nonexistent/zt.json' }), /ZT_CONFIG file \/nonexistent\/zt.json cannot be read/);
    assert.throws(() => loadConfig({ ZT_CONFIG: '{"http":' }), /ZT_CONFIG is not valid JSON/);
    assert.throws(() => loadConfig({ ZT_HTTP_PORT: 'eighty' }), /ZT_HTTP_PORT must be an integer/);
  });
});
