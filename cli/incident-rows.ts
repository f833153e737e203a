// Incidents as Temporal visibility sees them, mapped to the row shape scripts rely on
// (`zt incidents --json`, design contract). Pure: the command does the I/O.
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { serviceSchema } from '../config/schema';
import { incidentIdFor } from '../signals/incident';
import {
  IncidentClass,
  IncidentOutcome,
  IncidentPhase,
  IncidentService,
  IncidentSeverity,
} from '../signals/search-attributes';
import { CliError } from './errors';
import { formatTable } from './table';

export const INCIDENT_WORKFLOW_TYPE = 'incidentWorkflow';

export interface IncidentRow {
  incidentId: string;
  workflowId: string;
  service: string | null;
  class: string | null;
  severity: string | null;
  phase: string | null;
  outcome: string | null;
  startedAt: string;
  ttrSeconds: number | null;
}

export interface IncidentFilter {
  state?: 'open' | 'closed';
  service?: string;
}

/** The fields of a visibility record (list or describe) that identify an incident. */
export type IncidentExecution = Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'startTime' | 'typedSearchAttributes'> & {
  raw: { firstRunId?: string | null };
};

/** Same derivation as the workflow's own (first run id + start time), so CLI and summaries agree. */
export function incidentIdOf(execution: Pick<IncidentExecution, 'runId' | 'startTime' | 'raw'>): string {
  return incidentIdFor(execution.raw.firstRunId || execution.runId, execution.startTime);
}

export function incidentRowFrom(execution: IncidentExecution, ttrSeconds: number | null): IncidentRow {
  const attrs = execution.typedSearchAttributes;
  return {
    incidentId: incidentIdOf(execution),
    workflowId: execution.workflowId,
    service: attrs.get(IncidentService) ?? null,
    class: attrs.get(IncidentClass) ?? null,
    severity: attrs.get(IncidentSeverity) ?? null,
    phase: attrs.get(IncidentPhase) ?? null,
    outcome: attrs.get(IncidentOutcome) ?? null,
    startedAt: execution.startTime.toISOString(),
    ttrSeconds,
  };
}

/**
 * The service filter goes into a visibility query, so it must be a valid service name (the config's
 * own rule); that also rules out quotes, so nothing needs escaping.
 */
export function assertServiceName(service: string): string {
  const checked = serviceSchema.shape.name.safeParse(service);
  if (!checked.success) throw new CliError(`--service "${service}" is not a service name: ${checked.error.issues[0]?.message}`);
  return checked.data;
}

export function incidentsQuery(filter: IncidentFilter): string {
  const clauses = [`WorkflowType = '${INCIDENT_WORKFLOW_TYPE}'`];
  if (filter.state === 'open') clauses.push(`ExecutionStatus = 'Running'`);
  if (filter.state === 'closed') clauses.push(`ExecutionStatus != 'Running'`);
  if (filter.service !== undefined) clauses.push(`${IncidentService.name} = '${assertServiceName(filter.service)}'`);
  return clauses.join(' AND ');
}

export function newestFirst(a: IncidentRow, b: IncidentRow): number {
  return b.startedAt.localeCompare(a.startedAt);
}

export function formatTtr(seconds: number | null): string | null {
  if (seconds === null) return null;
  if (seconds < 120) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 120 ? `${minutes}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s` : `${(minutes / 60).toFixed(1)}h`;
}

/** ISO time to the second: enough to tell incidents apart, short enough for a table. */
export function shortTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

export function incidentsTable(rows: IncidentRow[]): string {
  return formatTable(
    ['INCIDENT', 'SERVICE', 'CLASS', 'SEVERITY', 'PHASE', 'OUTCOME', 'STARTED', 'TTR', 'WORKFLOW'],
    rows.map((r) => [r.incidentId, r.service, r.class, r.severity, r.phase, r.outcome, shortTime(r.startedAt), formatTtr(r.ttrSeconds), r.workflowId]),
  );
}
