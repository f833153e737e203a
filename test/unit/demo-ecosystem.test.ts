import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { demoApp, demoInstanceUrl } from '../../demo/ecosystem';

test('demoApp describes two fork-mode instances of the demo script with pinned settings', () => {
  const app = demoApp({ stateDir: '/var/lib/zt-demo' });
  assert.equal(app.name, 'localize-api');
  assert.ok(path.isAbsolute(app.script!) && existsSync(app.script!), `script ${app.script} exists`);
  assert.equal(path.basename(app.script!), 'localize-api.js');
  assert.equal(app.instances, 2);
  assert.equal(app.exec_mode, 'fork');
  assert.deepEqual(app.node_args, ['--expose-gc'], 'the sawtooth fault forces collections with global.gc');
  assert.deepEqual(app.env, {
    LOCALIZE_API_BASE_PORT: '3100',
    DEMO_STATE_DIR: '/var/lib/zt-demo',
    RELEASE: 'dev',
    PORT: '',
    HOST: '127.0.0.1',
  });
  assert.equal(app.autorestart, true);
  assert.equal(app.kill_timeout, 1000);
  assert.equal(app.min_uptime, 2000);
  assert.equal(app.max_restarts, 10);
  assert.equal(app.restart_delay, undefined, 'any restart_delay hides PM2 giving up behind "waiting restart"');
  assert.equal(app.merge_logs, true);
});

test('demoApp honours every option', () => {
  const app = demoApp({
    name: 'la-test',
    instances: 3,
    basePort: 21000,
    stateDir: 'state',
    execMode: 'cluster',
    release: 'v2',
    scriptPath: 'demo/localize-api.js',
  });
  assert.equal(app.name, 'la-test');
  assert.equal(app.instances, 3);
  assert.equal(app.exec_mode, 'cluster');
  assert.equal(app.script, path.resolve('demo/localize-api.js'));
  assert.equal(app.env?.LOCALIZE_API_BASE_PORT, '21000');
  assert.equal(app.env?.RELEASE, 'v2');
  assert.deepEqual(app.node_args, ['--expose-gc'], 'cluster workers get the same node flags');
});

test('demoInstanceUrl puts instance n on basePort + n', () => {
  assert.equal(demoInstanceUrl(3100, 0), 'http://127.0.0.1:3100');
  assert.equal(demoInstanceUrl(3100, 1), 'http://127.0.0.1:3101');
});
