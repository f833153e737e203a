// `zt show <ref>`: one incident. A running one answers the status and timeline queries (a worker must
// be up); a closed one is shown from its result, the report, which needs no worker.
import type { Command } from 'commander';
import type { Connection } from '@temporalio/client';
import { statusQuery, timelineQuery } from '../signals/contract';
import type { IncidentReport } from '../signals/incident';
import { loadCliConfig } from './config';
import { CliError, EXIT_FAILURE } from './errors';
import { reportText, statusText, timelineText } from './incident-text';
import { shortTime } from './incident-rows';
import { printJson, printText } from './output';
import { findIncident, REF_HELP, type FoundIncident } from './refs';
import { QUERY_TIMEOUT_MS, withTemporal } from './temporal';

export function registerShowCommand(program: Command): void {
  program
    .command('show')
    .description('show one incident: live status and timeline while open, the final report once closed')
    .argument('<ref>', REF_HELP)
    .option('--json', 'print {status, timeline} for an open incident, {report} for a closed one')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const config = loadCliConfig();
      await withTemporal(config, async ({ client, connection }) => {
        const found = await findIncident(client, ref);
        const state = found.description.status.name;
        if (state === 'RUNNING') return showOpen(found, connection, opts.json);
        if (state === 'COMPLETED') return showReport(found, opts.json);
        return showEndedWithoutReport(found, opts.json);
      });
    });
}

async function showOpen({ handle, description }: FoundIncident, connection: Connection, json?: boolean): Promise<void> {
  const [status, timeline] = await connection
    .withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => Promise.all([handle.query(statusQuery), handle.query(timelineQuery)]))
    .catch((err: unknown) => {
      throw new CliError(
        `${description.workflowId} is open but did not answer its status query within ${QUERY_TIMEOUT_MS / 1000} s ` +
          `(is a worker polling task queue ${description.taskQueue}?): ${(err as Error).message}`,
        EXIT_FAILURE,
      );
    });
  if (json) return printJson({ status, timeline });
  printText(`${statusText(status)}\n\nTimeline\n${timelineText(timeline)}`);
}

async function showReport({ handle }: FoundIncident, json?: boolean): Promise<void> {
  const report = (await handle.result()) as IncidentReport;
  if (json) return printJson({ report });
  printText(reportText(report));
}

/** Terminated, failed, timed out or cancelled: there is no report, only how the run ended. */
function showEndedWithoutReport({ description: d }: FoundIncident, json?: boolean): void {
  const execution = {
    workflowId: d.workflowId,
    runId: d.runId,
    status: d.status.name,
    startedAt: d.startTime.toISOString(),
    closedAt: d.closeTime?.toISOString() ?? null,
  };
  if (json) return printJson({ execution });
  const closed = execution.closedAt ? ` at ${shortTime(execution.closedAt)}` : '';
  printText(`${d.workflowId} (run ${d.runId}) ended ${execution.status}${closed} without a report`);
}
