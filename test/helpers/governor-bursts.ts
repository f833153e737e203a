// Bursts of concurrent permit requests against a governor whose worker keeps no workflow cache, so every
// workflow task replays the whole history: the harshest test of the governor's determinism under load.
// Used by test/integration/governor-burst-replay.test.ts and bench/governor-replay-repro.ts.
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal as proto } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { governorCallError, GovernorBusyError } from '../../activities/governor';
import { parseConfig } from '../../config/load';
import { governorTaskQueue, releasePermitUpdate, requestPermitUpdate, type PermitRequest, type PermitVerdict } from '../../signals/governor';
import { startGovernor } from '../../signals/governor-client';
import { workflowBundle } from './system';
import { uniqueTaskQueue, type TestTemporal } from './temporal';

export interface BurstRound {
  answered: number;
  granted: number;
  /** The first failure's message with its cause, when an update failed. */
  failures: string[];
}

export interface BurstResult {
  rounds: BurstRound[];
  governor: WorkflowHandle;
  events: proto.api.history.v1.IHistoryEvent[];
  /** The governor's WorkflowTaskFailed events: a replay that did not match its history. */
  taskFailures: proto.api.history.v1.IHistoryEvent[];
}

/** As the permit activities do: the server's in-flight update limit (10 per workflow) is load, retried. */
async function retryWhileBusy<T>(call: () => Promise<T>): Promise<T> {
  for (let delay = 200; ; delay = Math.min(delay * 2, 5000)) {
    try {
      return await call();
    } catch (err) {
      if (!(governorCallError('update', err) instanceof GovernorBusyError)) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

function failureText(reason: unknown): string {
  const err = reason as { message?: string; cause?: { message?: string } };
  return `${err?.message ?? String(reason)}${err?.cause?.message ? `: ${err.cause.message}` : ''}`;
}

/** `rounds` bursts of one permit request (then its release) per service, all services at once. */
export async function governorBursts(temporal: TestTemporal, { services: count, rounds }: { services: number; rounds: number }): Promise<BurstResult> {
  const taskQueue = uniqueTaskQueue('gov-burst');
  const services = Array.from({ length: count }, (_, i) => ({ name: `svc-${i}`, basePort: 30000 + i * 10, instances: 2 }));
  const config = parseConfig({
    temporal: { taskQueue, address: temporal.address, namespace: temporal.namespace },
    services,
    governor: { actionsPerHour: 100, leaseTtlMs: 60_000, breaker: { maxRemediations: 100 } },
  });
  const worker = await Worker.create({ connection: temporal.native, namespace: temporal.namespace, taskQueue: governorTaskQueue(taskQueue), workflowBundle: await workflowBundle(), maxCachedWorkflows: 0 });
  const running = worker.run();
  const governor = await startGovernor(temporal.client, config);
  const result: BurstRound[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const verdicts = await Promise.allSettled(
        services.map(async (s, i) => {
          const requestId = `r-${round}-${i}`;
          const request: PermitRequest = { incidentWorkflowId: `inc-${round}-${i}`, incidentId: `INC-${round}-${i}`, service: s.name, action: 'pm2-restart', takesOutOfService: 1, instances: 2, requestId };
          const v = (await retryWhileBusy(() => governor.executeUpdate(requestPermitUpdate, { args: [request], updateId: `permit:${requestId}` }))) as PermitVerdict;
          if (v.verdict === 'granted') {
            await retryWhileBusy(() => governor.executeUpdate(releasePermitUpdate, { args: [{ permitId: v.permitId, outcome: 'verified' }], updateId: `release:${v.permitId}` }));
          }
          return v.verdict;
        }),
      );
      const answered = verdicts.filter((v) => v.status === 'fulfilled');
      result.push({
        answered: answered.length,
        granted: answered.filter((v) => v.value === 'granted').length,
        failures: verdicts.flatMap((v) => (v.status === 'rejected' ? [failureText(v.reason)] : [])),
      });
    }
    const events = (await governor.fetchHistory()).events ?? [];
    return { rounds: result, governor, events, taskFailures: events.filter((e) => e.workflowTaskFailedEventAttributes) };
  } finally {
    await governor.terminate('governor bursts done').catch(() => undefined);
    worker.shutdown();
    await running;
  }
}
