// Governors started by older workers ran on the incidents' task queue. Such a governor keeps running there
// (every incident worker still serves the governor's workflow type on that queue) and moves to the queue of
// its own (`<taskQueue>-governor`) when it next continues as new, its state carried.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { parseConfig } from '../../config/load';
import { GOVERNOR_WORKFLOW_TYPE, governorSignals, governorStateQuery, governorTaskQueue, governorWorkflowId, type GovernorView } from '../../signals/governor';
import { governorInputFrom } from '../../signals/governor-client';
import { eventually, workflowBundle } from '../helpers/system';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

let temporal: TestTemporal;
let workers: Worker[] = [];
let runs: Promise<void>[] = [];

before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  for (const w of workers) w.shutdown();
  await Promise.allSettled(runs);
  await temporal?.close();
});

test('a governor on the incidents\' queue moves to its own queue as it continues as new, state carried', async () => {
  const taskQueue = uniqueTaskQueue('gov-move');
  const config = parseConfig({ temporal: { taskQueue, address: temporal.address, namespace: temporal.namespace }, services: [{ name: 'api', basePort: 42000, instances: 2 }], operators: ['alice'] });
  const bundle = await workflowBundle();
  workers = await Promise.all(
    [taskQueue, governorTaskQueue(taskQueue)].map((q) => Worker.create({ connection: temporal.native, namespace: temporal.namespace, taskQueue: q, workflowBundle: bundle })),
  );
  runs = workers.map((w) => w.run());
  // Started the way workers did before the governor had a queue of its own.
  const governor = await temporal.client.workflow.start(GOVERNOR_WORKFLOW_TYPE, {
    workflowId: governorWorkflowId(taskQueue),
    taskQueue,
    args: [governorInputFrom(config, { continueAsNewAfterEvents: 10 })],
  });
  const first = await governor.describe();
  assert.equal(first.taskQueue, taskQueue);
  await governor.signal(governorSignals.setMode, { mode: 'observe', operator: 'alice', reason: 'before the move' });
  for (let i = 0; i < 8; i++) await governor.signal(governorSignals.resetBreaker, { service: 'api', operator: 'alice', reason: `noise ${i}` });
  const moved = await eventually('the continued run', async () => {
    const d = await temporal.client.workflow.getHandle(governorWorkflowId(taskQueue)).describe();
    return d.runId !== first.runId ? d : undefined;
  });
  assert.equal(moved.taskQueue, governorTaskQueue(taskQueue));
  const view = (await temporal.client.workflow.getHandle(governorWorkflowId(taskQueue)).query(governorStateQuery)) as GovernorView;
  assert.equal(view.mode.mode, 'observe');
  assert.equal(view.mode.reason, 'before the move');
});
