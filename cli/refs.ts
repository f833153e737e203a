// What an operator may type to name an incident, and how each form becomes a workflow execution:
//   incident-localize-api.availability   a workflow id (its latest run, open or closed)
//   localize-api.availability            an incident key → incident-<key>
//   INC-20250101-1a2b3c4d                an incident ID → the run it was derived from (found via visibility)
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { workflowIdFor } from '../signals/incident';
import { CliError } from './errors';
import { INCIDENT_WORKFLOW_TYPE, incidentIdOf } from './incident-rows';

/** Help text of every command's <ref> argument. */
export const REF_HELP = 'workflow id (incident-<key>), incident key (<service>.<group>) or incident ID (INC-YYYYMMDD-xxxxxxxx)';

export type IncidentRef = { kind: 'workflow'; workflowId: string } | { kind: 'incident-id'; incidentId: string };

const WORKFLOW_ID_PREFIX = workflowIdFor('');
// Keys start with a lowercase service name, so an upper-case INC- prefix can only be an incident ID.
const INCIDENT_ID_PREFIX = 'INC-';
const INCIDENT_ID = /^INC-(\d{4})(\d{2})(\d{2})-([0-9a-f]{8})$/i;
/** Clock skew margin around the incident ID's day when searching visibility by start time. */
const DAY_MARGIN_MS = 60 * 60 * 1000;

export function parseRef(input: string): IncidentRef {
  const ref = input.trim();
  if (!ref) throw new CliError('an incident is required: a workflow id, an incident key or an incident ID (INC-…)');
  if (ref.startsWith(INCIDENT_ID_PREFIX)) {
    const m = INCIDENT_ID.exec(ref);
    if (!m) throw new CliError(`"${ref}" is not an incident ID: expected INC-YYYYMMDD-xxxxxxxx`);
    return { kind: 'incident-id', incidentId: `${INCIDENT_ID_PREFIX}${m[1]}${m[2]}${m[3]}-${m[4]?.toLowerCase()}` };
  }
  if (ref.startsWith(WORKFLOW_ID_PREFIX)) return { kind: 'workflow', workflowId: ref };
  return { kind: 'workflow', workflowId: workflowIdFor(ref) };
}

/** Visibility query for the runs that could carry this incident ID: incidents started on its day. */
export function incidentIdSearchQuery(incidentId: string): string {
  const m = INCIDENT_ID.exec(incidentId);
  if (!m) throw new CliError(`"${incidentId}" is not an incident ID: expected INC-YYYYMMDD-xxxxxxxx`);
  const dayStart = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const from = new Date(dayStart - DAY_MARGIN_MS).toISOString();
  const to = new Date(dayStart + 24 * 60 * 60 * 1000 + DAY_MARGIN_MS).toISOString();
  return `WorkflowType = '${INCIDENT_WORKFLOW_TYPE}' AND StartTime >= '${from}' AND StartTime < '${to}'`;
}

export interface FoundIncident {
  handle: WorkflowHandle;
  description: WorkflowExecutionDescription;
}

/** The execution a ref names, described and pinned to its run; undefined when there is none. */
export async function lookupIncident(client: Client, input: string): Promise<FoundIncident | undefined> {
  const ref = parseRef(input);
  const target: { workflowId: string; runId?: string } | undefined =
    ref.kind === 'workflow' ? { workflowId: ref.workflowId } : await searchIncidentId(client, ref.incidentId);
  if (!target) return undefined;
  let description: WorkflowExecutionDescription;
  try {
    description = await client.workflow.getHandle(target.workflowId, target.runId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  if (description.type !== INCIDENT_WORKFLOW_TYPE) {
    throw new CliError(`${target.workflowId} is not an incident (workflow type ${description.type})`);
  }
  // Pinned to the run just described, so what is shown or signalled is that incident and never a
  // later run that reuses the key.
  const handle = client.workflow.getHandle(target.workflowId, description.runId, { followRuns: false });
  return { handle, description };
}

export async function findIncident(client: Client, input: string): Promise<FoundIncident> {
  const found = await lookupIncident(client, input);
  if (!found) throw new CliError(`no incident ${input}`);
  return found;
}

export async function findOpenIncident(client: Client, input: string): Promise<FoundIncident> {
  const found = await lookupIncident(client, input);
  if (found?.description.status.name !== 'RUNNING') throw new CliError(`no open incident ${input}`);
  return found;
}

async function searchIncidentId(client: Client, incidentId: string): Promise<{ workflowId: string; runId: string } | undefined> {
  for await (const execution of client.workflow.list({ query: incidentIdSearchQuery(incidentId) })) {
    if (incidentIdOf(execution) === incidentId) return { workflowId: execution.workflowId, runId: execution.runId };
  }
  return undefined;
}
