// Replay tests: every committed history (recorded by `npm run record:histories` from real incidents and
// from the governor) must replay against today's workflow code. A change that would break running
// workflows fails here; the negative test proves this suite can fail.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';

const dir = path.join(__dirname, 'histories');
const histories = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ name: f, history: historyFromJSON(JSON.parse(readFileSync(path.join(dir, f), 'utf8'))) }));

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const bundle = (workflowsPath: string) => bundleWorkflowCode({ workflowsPath, logger: silent });

describe('replay of recorded incident histories', () => {
  let current: WorkflowBundleWithSourceMap;
  let incompatible: WorkflowBundleWithSourceMap;
  before(async () => {
    [current, incompatible] = await Promise.all([
      bundle(require.resolve('../../workflows')),
      bundle(require.resolve('./incompatible')),
    ]);
  });

  test('the fixtures cover an auto-resolved and an escalated incident', () => {
    const names = histories.map((h) => h.name);
    assert.ok(names.some((n) => n.includes('auto-resolved')), names.join(', '));
    assert.ok(names.some((n) => n.includes('escalated')), names.join(', '));
    // The governor is a workflow type of its own (recorded by test/integration/governor.test.ts).
    assert.ok(names.some((n) => n.startsWith('governor-')), names.join(', '));
  });

  for (const { name, history } of histories) {
    test(`${name} replays against the current workflow code`, async () => {
      await Worker.runReplayHistory({ workflowBundle: current }, history, `replay-${name}`);
    });
  }

  test('an incompatible workflow change is caught as a determinism violation', async () => {
    // The incompatible bundle is a changed incidentWorkflow, so it must replay an incident's history.
    const first = histories.find((h) => !h.name.startsWith('governor-'));
    assert.ok(first, 'at least one recorded incident history');
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: incompatible }, first.history, `replay-negative-${first.name}`),
      (err: unknown) => err instanceof DeterminismViolationError,
    );
  });
});
