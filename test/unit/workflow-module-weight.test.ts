// What a new incident workflow evaluates in its first workflow task. The reusable V8 context evaluates every
// module the bundle's entry imports again for each new workflow, on the path from the alert to the first
// action (npm run bench:first-task, bench:decision): zod and the governor's modules are required only when
// a workflow uses them, never by importing the workflows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

test('importing the workflow bundle entry loads neither zod nor the governor', () => {
  const script = `
    require('./workflows');
    const loaded = Object.keys(require.cache).map((k) => require('node:path').relative(process.cwd(), k));
    console.log(JSON.stringify(loaded));`;
  const loaded = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8' })) as string[];
  assert.ok(loaded.includes(path.join('workflows', 'incident.ts')), `the entry was evaluated: ${loaded.join(', ')}`);
  assert.deepEqual(loaded.filter((m) => m.includes(`node_modules${path.sep}zod${path.sep}`)), []);
  assert.deepEqual(loaded.filter((m) => /workflows[\\/]governor|signals[\\/]governor|config[\\/]/.test(m)), []);
});
