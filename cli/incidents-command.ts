// `zt incidents`: incidents from Temporal visibility, newest first, with time to recovery for closed ones.
import { Option, InvalidArgumentError, type Command } from 'commander';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { IncidentReport } from '../signals/incident';
import { loadCliConfig } from './config';
import { mapWithConcurrency } from './concurrency';
import { incidentRowFrom, incidentsQuery, incidentsTable, newestFirst, type IncidentFilter, type IncidentRow } from './incident-rows';
import { note, printJson, printText } from './output';
import { withTemporal } from './temporal';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 10_000;
/** Parallel result fetches for TTR: quick for a page of incidents, gentle on the frontend. */
const RESULT_CONCURRENCY = 8;

interface IncidentsOptions {
  json?: boolean;
  open?: boolean;
  closed?: boolean;
  service?: string;
  limit: number;
}

export function registerIncidentsCommand(program: Command): void {
  program
    .command('incidents')
    .description('list incidents, newest first (open and closed unless filtered)')
    .option('--json', 'print [{incidentId, workflowId, service, class, severity, phase, outcome, startedAt, ttrSeconds}]')
    .addOption(new Option('--open', 'only incidents still open').conflicts('closed'))
    .addOption(new Option('--closed', 'only closed incidents').conflicts('open'))
    .option('--service <name>', 'only incidents of this service')
    .option('--limit <n>', `at most this many incidents (1-${MAX_LIMIT})`, parseLimit, DEFAULT_LIMIT)
    .action(async (opts: IncidentsOptions) => {
      const config = loadCliConfig();
      const filter: IncidentFilter = {
        ...(opts.open ? { state: 'open' as const } : opts.closed ? { state: 'closed' as const } : {}),
        ...(opts.service !== undefined ? { service: opts.service } : {}),
      };
      const query = incidentsQuery(filter);
      const rows = await withTemporal(config, ({ client }) => listIncidents(client, query, opts.limit));
      if (opts.json) return printJson(rows);
      printText(rows.length ? incidentsTable(rows) : 'no incidents match');
    });
}

async function listIncidents(client: Client, query: string, limit: number): Promise<IncidentRow[]> {
  const executions: WorkflowExecutionInfo[] = [];
  for await (const execution of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
    executions.push(execution);
    if (executions.length >= limit) break;
  }
  const ttrs = await mapWithConcurrency(executions, RESULT_CONCURRENCY, (execution) => ttrOf(client, execution));
  return executions.map((execution, i) => incidentRowFrom(execution, ttrs[i] ?? null)).sort(newestFirst);
}

/** Only a completed run has a report; open, failed or terminated ones have no time to recovery. */
async function ttrOf(client: Client, execution: WorkflowExecutionInfo): Promise<number | null> {
  if (execution.status.name !== 'COMPLETED') return null;
  try {
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId, { followRuns: false });
    const report = (await handle.result()) as Partial<IncidentReport> | undefined;
    return typeof report?.ttrSeconds === 'number' ? report.ttrSeconds : null;
  } catch (err) {
    note(`warning: no report for ${execution.workflowId} (run ${execution.runId}): ${(err as Error).message}`);
    return null;
  }
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new InvalidArgumentError(`expected an integer from 1 to ${MAX_LIMIT}`);
  return n;
}
