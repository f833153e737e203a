// Where metrics are served: config `metrics` with ZT_METRICS_PORT / ZT_METRICS_HOST over it, and the SDK
// exporter's address from ZT_TEMPORAL_METRICS_ADDRESS (on by default, off under node's test runner). A
// taken exporter port costs the metrics, never the start-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import pino from 'pino';
import { parseConfig } from '../../config/load';
import { DEFAULT_TEMPORAL_METRICS_ADDRESS, MetricsConfigError, metricsServerSettings, temporalMetricsAddress } from '../../config/metrics';
import { installTemporalRuntime } from '../../observability/temporal-runtime';

test('the worker metrics server: defaults, config, environment', () => {
  const defaults = parseConfig({}).metrics;
  assert.deepEqual(defaults, { enabled: true, host: '0.0.0.0', port: 9464 });
  assert.deepEqual(metricsServerSettings(defaults, {}), defaults);
  const configured = parseConfig({ metrics: { host: '127.0.0.1', port: 9500 } }).metrics;
  assert.deepEqual(metricsServerSettings(configured, { ZT_METRICS_PORT: '9600', ZT_METRICS_HOST: '::' }), { enabled: true, host: '::', port: 9600 });
  assert.equal(metricsServerSettings(defaults, { ZT_METRICS_PORT: 'off' }).enabled, false);
  assert.throws(() => metricsServerSettings(defaults, { ZT_METRICS_PORT: 'ninety' }), (e: unknown) => e instanceof MetricsConfigError && /ZT_METRICS_PORT must be a port number or "off", got "ninety"/.test(e.message));
  assert.throws(() => parseConfig({ metrics: { port: 70000 } }), /metrics\.port/);
});

test('the SDK exporter address', () => {
  assert.deepEqual(temporalMetricsAddress({}), { address: DEFAULT_TEMPORAL_METRICS_ADDRESS });
  assert.equal(DEFAULT_TEMPORAL_METRICS_ADDRESS, '127.0.0.1:9465');
  assert.deepEqual(temporalMetricsAddress({ NODE_TEST_CONTEXT: 'child-v8' }), { address: null }, 'off in test files unless asked for');
  assert.deepEqual(temporalMetricsAddress({ NODE_TEST_CONTEXT: 'child-v8', ZT_TEMPORAL_METRICS_ADDRESS: '0.0.0.0:9465' }), { address: '0.0.0.0:9465' });
  assert.deepEqual(temporalMetricsAddress({ ZT_TEMPORAL_METRICS_ADDRESS: '[::1]:9465' }), { address: '[::1]:9465' });
  for (const off of ['off', 'none', '', '0']) assert.deepEqual(temporalMetricsAddress({ ZT_TEMPORAL_METRICS_ADDRESS: off }), { address: null }, off);
  for (const bad of ['9465', 'host:', 'host:70000', 'a b:1']) {
    const r = temporalMetricsAddress({ ZT_TEMPORAL_METRICS_ADDRESS: bad });
    assert.equal(r.address, null, bad);
    assert.match(r.problem ?? '', /ZT_TEMPORAL_METRICS_ADDRESS must be host:port/, bad);
  }
});

test('a taken exporter port: a warning, and the runtime installed without metrics; installing again is harmless', async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as net.AddressInfo;
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(String((JSON.parse(line) as { msg: string }).msg)) });
  try {
    const installed = installTemporalRuntime(logger, { metricsAddress: `127.0.0.1:${port}` });
    assert.equal(installed.metricsUrl, null);
    assert.match(warnings.join('\n'), new RegExp(`Temporal worker metrics not served on 127\\.0\\.0\\.1:${port}: .*running without them`));
    assert.equal(installTemporalRuntime(logger, { metricsAddress: '127.0.0.1:1' }), installed, 'the first installation holds');
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});
