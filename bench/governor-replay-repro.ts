// Reproduces the governor's non-determinism under load (docs/benchmarks.md, bench:concurrency findings) in
// seconds: a governor worker with no workflow cache, so every workflow task replays the history, and bursts
// of 40 concurrent permit requests. On @temporalio/* 1.24.0 the first burst wedges the governor:
// "[TMPRL1100] Nondeterminism error: Update machine does not handle this event: HistoryEvent(id: …, TimerStarted)"
// and every update fails. `npx tsx bench/governor-replay-repro.ts` — prints each burst and the governor's
// workflow task failures; it must print 0 failures once the governor is fixed.
import { Worker } from '@temporalio/worker';
import { parseConfig } from '../config/load';
import { requestPermitUpdate, releasePermitUpdate, type PermitVerdict } from '../signals/governor';
import { startGovernor } from '../signals/governor-client';
import { testTemporal, uniqueTaskQueue } from '../test/helpers/temporal';
import { workflowBundle } from '../test/helpers/system';

(async () => {
  const temporal = await testTemporal();
  const taskQueue = uniqueTaskQueue('gov-nde');
  const services = Array.from({ length: 40 }, (_, i) => ({ name: `svc-${i}`, basePort: 30000 + i * 10, instances: 2 }));
  const config = parseConfig({ temporal: { taskQueue, address: temporal.address, namespace: temporal.namespace }, services, governor: { actionsPerHour: 100, leaseTtlMs: 60_000, breaker: { maxRemediations: 100 } } });
  const worker = await Worker.create({ connection: temporal.native, namespace: temporal.namespace, taskQueue, workflowBundle: await workflowBundle(), maxCachedWorkflows: 0 });
  const running = worker.run();
  const gov = await startGovernor(temporal.client, config);
  for (let round = 0; round < 4; round++) {
    const results = await Promise.allSettled(services.map(async (s, i) => {
      const v = (await gov.executeUpdate(requestPermitUpdate, { args: [{ incidentWorkflowId: `inc-${round}-${i}`, incidentId: `INC-${round}-${i}`, service: s.name, action: 'pm2-restart', takesOutOfService: 1, instances: 2, requestId: `r-${round}-${i}` }], updateId: `permit:r-${round}-${i}` })) as PermitVerdict;
      if (v.verdict === 'granted') await gov.executeUpdate(releasePermitUpdate, { args: [{ permitId: v.permitId, outcome: 'verified' }], updateId: `release:${v.permitId}` });
      return v.verdict;
    }));
    const bad = results.filter((r) => r.status === 'rejected');
    console.log(`round ${round}: ${results.length - bad.length} ok, ${bad.length} failed ${bad[0] ? String((bad[0] as PromiseRejectedResult).reason?.message).slice(0, 150) : ''}`);
  }
  const events = (await gov.fetchHistory()).events ?? [];
  const failed = events.filter((e) => e.workflowTaskFailedEventAttributes);
  console.log(`governor history ${events.length} events, workflow task failures: ${failed.length}`, failed[0]?.workflowTaskFailedEventAttributes?.failure?.message?.slice(0, 300) ?? '');
  worker.shutdown();
  await running;
  process.exit(0);
})().catch((err) => { console.error(err); process.exit(1); });
