// The monitoring files shipped in the repo are valid for the real tools that will load them, and the
// rules behave as documented at their production thresholds (promtool's own rule unit tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderRules, RULES_FILE, runTool } from '../helpers/monitoring';

const MONITORING = path.join(__dirname, '..', '..', 'monitoring');

test('promtool accepts the shipped rules and the shipped Prometheus config', async () => {
  assert.match(await runTool('promtool', ['check', 'rules', RULES_FILE]), /SUCCESS: 3 rules found/);
  assert.match(await runTool('promtool', ['check', 'config', path.join(MONITORING, 'prometheus.yml')]), /SUCCESS/);
});

test('the shipped rules pass their promtool unit tests at production thresholds', async () => {
  assert.match(await runTool('promtool', ['test', 'rules', path.join(MONITORING, 'rules', 'zero-touch.rules.test.yml')]), /SUCCESS/);
});

test('amtool accepts the shipped Alertmanager config', async () => {
  assert.match(await runTool('amtool', ['check-config', path.join(MONITORING, 'alertmanager.yml')]), /SUCCESS/);
});

test('the test copy of the rules differs only in its for: durations and is still valid', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-rules-'));
  try {
    const file = path.join(dir, 'rules.yml');
    const rendered = await renderRules('2s');
    assert.doesNotMatch(rendered, /^\s+for: (?!2s$)/m);
    await writeFile(file, rendered);
    assert.match(await runTool('promtool', ['check', 'rules', file]), /SUCCESS: 3 rules found/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
