// `npm run bench:first-task [runs]`: what the production workflow bundle costs a new workflow's first
// workflow task, against the floor bundle (bench/decision-floor-workflow.ts). The reusable V8 context
// evaluates a bundle's modules again for every new workflow, so this is mostly module evaluation (zod and the
// contracts' schemas). Both workflows do almost nothing in that task: undoAfterRecoveryWorkflow with no undos
// completes, floorWorkflow schedules its activity. Times are the server's (WorkflowTaskStarted → Completed),
// the two bundles alternate on one dev server, the first 5 of each are warm-up. Numbers, not assertions.
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { eventMs } from '../drills/reliability/common';
import { quantile } from './recovery-summary';
import { workflowBundle } from '../test/helpers/system';
import { testTemporal, uniqueTaskQueue } from '../test/helpers/temporal';

const RUNS = Number(process.argv[2] ?? 25);
const WARM_UP = 5;

(async () => {
  const temporal = await testTemporal();
  const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const production = uniqueTaskQueue('first-task-prod');
  const floor = uniqueTaskQueue('first-task-floor');
  const workers = [
    await Worker.create({ connection: temporal.native, namespace: temporal.namespace, taskQueue: production, workflowBundle: await workflowBundle() }),
    await Worker.create({
      connection: temporal.native,
      namespace: temporal.namespace,
      taskQueue: floor,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./decision-floor-workflow'), logger: silent }),
      activities: { floorActivity: async () => 'ok' },
    }),
  ];
  const running = workers.map((w) => w.run());
  const kinds = [
    { name: 'production bundle', taskQueue: production, type: 'undoAfterRecoveryWorkflow', args: [{ incidentId: 'bench', service: 'bench', undos: [] }] },
    { name: 'floor bundle', taskQueue: floor, type: 'floorWorkflow', args: [] },
  ];
  const firstTaskMs = new Map<string, number[]>(kinds.map((k) => [k.name, []]));
  for (let i = 0; i < RUNS + WARM_UP; i++) {
    for (const k of kinds) {
      const handle = await temporal.client.workflow.start(k.type, { taskQueue: k.taskQueue, workflowId: `first-task-${process.pid}-${k.taskQueue}-${i}`, args: k.args });
      await handle.result();
      const events = (await handle.fetchHistory()).events ?? [];
      const started = events.find((e) => e.workflowTaskStartedEventAttributes);
      const completed = events.find((e) => e.workflowTaskCompletedEventAttributes);
      if (i >= WARM_UP) firstTaskMs.get(k.name)!.push(eventMs(completed?.eventTime) - eventMs(started?.eventTime));
    }
  }
  const sorted = (name: string) => [...firstTaskMs.get(name)!].sort((a, b) => a - b);
  const p50 = (name: string) => quantile(sorted(name), 0.5);
  for (const k of kinds) console.log(`${k.name}: first workflow task p50 ${p50(k.name).toFixed(1)} ms, p95 ${quantile(sorted(k.name), 0.95).toFixed(1)} ms (${RUNS} runs)`);
  console.log(`the production bundle costs a new workflow ${(p50('production bundle') - p50('floor bundle')).toFixed(1)} ms more (p50)`);
  for (const w of workers) w.shutdown();
  await Promise.all(running);
  await temporal.close();
  process.exit(0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
