// Reading incidents the way an operator would: by workflow id, through Temporal's own APIs.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { IncidentReport, IncidentStatus } from '../../signals/incident';
import { statusQuery, timelineQuery } from '../../signals/contract';
import { injectFault } from '../../demo/faults';
import { alertSchema, type Alert } from '../../signals/alert';
import { eventually, waitForHealthy, type TestSystem } from './system';
import { temporalCli } from './temporal-cli';

/** Waits for a run of `workflowId` other than `notRunId` to exist and returns a handle pinned to it. */
export async function awaitIncidentRun(client: Client, workflowId: string, notRunId?: string, timeoutMs = 30_000): Promise<WorkflowHandle> {
  const runId = await eventually(
    `a new run of ${workflowId}`,
    async () => {
      const d = await client.workflow.getHandle(workflowId).describe();
      return d.runId !== notRunId ? d.runId : undefined;
    },
    timeoutMs,
  );
  return client.workflow.getHandle(workflowId, runId);
}

export async function latestRunId(client: Client, workflowId: string): Promise<string | undefined> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).runId;
  } catch {
    return undefined;
  }
}

export function status(handle: WorkflowHandle): Promise<IncidentStatus> {
  return handle.query(statusQuery);
}

export async function awaitStatus(handle: WorkflowHandle, what: string, predicate: (s: IncidentStatus) => boolean, timeoutMs = 45_000): Promise<IncidentStatus> {
  let last: IncidentStatus | undefined;
  try {
    return await eventually(what, async () => {
      last = await status(handle);
      return predicate(last) ? last : undefined;
    }, timeoutMs);
  } catch (err) {
    // Say where the incident was stuck: its phase and the end of its timeline.
    const timeline = await handle.query(timelineQuery).catch(() => []);
    const tail = timeline.slice(-8).map((e) => `${e.kind}: ${e.summary}`).join(' | ');
    throw new Error(`${(err as Error).message}; last seen: phase ${last?.phase ?? "?"}; timeline: ${tail}`);
  }
}

export function result(handle: WorkflowHandle): Promise<IncidentReport> {
  return handle.result() as Promise<IncidentReport>;
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** The marker a local activity (diagnosis' steps in newer runs) leaves in history, or undefined for any other event. */
export function localActivityMarker(e: HistoryEvent) {
  const marker = e.markerRecordedEventAttributes;
  return marker?.markerName === 'core_local_activity' ? marker : undefined;
}

/** Activity summaries as the Web UI shows them, in history order. */
export async function activitySummaries(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  // Activities, and local activities (their markers carry the summary).
  return (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes || localActivityMarker(e))
    .map((e) => {
      const payload = e.userMetadata?.summary;
      return payload ? String(defaultPayloadConverter.fromPayload(payload as any)) : '';
    });
}

/**
 * With ZT_RECORD_HISTORIES=1, saves the run's history as a replay fixture under test/replay/histories,
 * exported by the stock Temporal CLI exactly as an operator would export a production incident.
 */
export async function recordHistory(handle: WorkflowHandle, name: string, address: string): Promise<void> {
  if (process.env.ZT_RECORD_HISTORIES !== '1') return;
  const runId = (await handle.describe()).runId;
  const stdout = await temporalCli(address, ['workflow', 'show', '--workflow-id', handle.workflowId, '--run-id', runId, '--output', 'json']);
  await writeFile(path.join(__dirname, '..', 'replay', 'histories', `${name}.json`), stdout);
}

/** The alert the sentinel sends for a hung instance (its health check timing out). */
export function hangAlert(service: string, opts: { fingerprint: string; instance: number; risk?: string[] }): Alert {
  return alertSchema.parse({
    source: 'generic',
    service,
    name: 'InstanceHealthTimeout',
    status: 'firing',
    instance: opts.instance,
    summary: 'health check timed out',
    startsAt: new Date().toISOString(),
    fingerprint: opts.fingerprint,
    risk: opts.risk ?? [],
  });
}

/**
 * Hangs a demo instance and delivers the alert the sentinel would send for it (no sentinel needed), then
 * returns the new incident run. `risk` labels the alert (auth, billing, …), which forces an escalation.
 */
export async function hangWithAlert(
  sys: TestSystem,
  opts: { fingerprint: string; instance?: number; risk?: string[] },
): Promise<WorkflowHandle> {
  const instance = opts.instance ?? 1;
  await waitForHealthy(sys.basePort, 2);
  const previous = await latestRunId(sys.temporal.client, sys.workflowId());
  await injectFault(sys.instanceUrl(instance), { fault: 'hang' });
  await sys.ingest.ingest([hangAlert(sys.service, { ...opts, instance })]);
  return awaitIncidentRun(sys.temporal.client, sys.workflowId(), previous);
}
