// `zt show <ref>`: one incident. A running one answers the status and timeline queries (a worker must
// be up); a closed one is shown from its result, the report, which needs no worker. One Temporal no
// longer has (its history past retention) is shown from the report the ledger kept.
import type { Command } from 'commander';
import type { Connection } from '@temporalio/client';
import type { LedgerIncidentReport } from '../ledger/report-queries';
import { statusQuery, timelineQuery } from '../signals/contract';
import type { IncidentReport } from '../signals/incident';
import { loadCliConfig } from './config';
import { CliError, EXIT_FAILURE } from './errors';
import { reportText, statusText, timelineText } from './incident-text';
import { formatTtr, shortTime } from './incident-rows';
import { findIncidentReport, withLedger } from './ledger-access';
import { note, printJson, printText } from './output';
import { lookupIncident, parseRef, REF_HELP, type FoundIncident, type IncidentRef } from './refs';
import { QUERY_TIMEOUT_MS, withTemporal } from './temporal';

export function registerShowCommand(program: Command): void {
  program
    .command('show')
    .description('show one incident: live status and timeline while open, the final report once closed')
    .argument('<ref>', REF_HELP)
    .option('--json', 'print {status, timeline} for an open incident, {report} for a closed one, {report, ledger} from the ledger')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const config = loadCliConfig();
      const parsed = parseRef(ref);
      const shown = await withTemporal(config, async ({ client, connection }) => {
        const found = await lookupIncident(client, ref);
        if (!found) return false;
        const state = found.description.status.name;
        if (state === 'RUNNING') await showOpen(found, connection, opts.json);
        else if (state === 'COMPLETED') await showReport(found, opts.json);
        else showEndedWithoutReport(found, opts.json);
        return true;
      });
      if (!shown) await showFromLedger(ref, parsed, opts.json);
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

/** Temporal has no such workflow (never, or no longer): the report the ledger recorded, if any. */
async function showFromLedger(input: string, ref: IncidentRef, json?: boolean): Promise<void> {
  const byRef = ref.kind === 'incident-id' ? { incidentId: ref.incidentId } : { workflowId: ref.workflowId };
  let found: LedgerIncidentReport | null = null;
  try {
    found = await withLedger((ledger) => findIncidentReport(ledger, byRef), { onMissing: () => undefined });
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    note(`warning: the ledger could not be searched: ${err.message}`);
  }
  if (!found) throw new CliError(`no incident ${input} (not in Temporal, and no report of it in the ledger)`);
  const ledger = { seq: found.seq, recordedAt: found.recordedAt, key: found.key, hash: found.hash };
  if (json) return printJson({ report: found.report, ledger });
  printText(ledgerReportText(found));
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

type Field = [label: string, value: string | null | undefined];

function fieldsText(rows: Field[]): string {
  const shown = rows.filter((row): row is [string, string] => typeof row[1] === 'string' && row[1] !== '');
  const width = Math.max(...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

/** The report as `zt show` prints a closed one, plus what only the report keeps once Temporal's history is gone. */
export function ledgerReportText({ report: r, seq, recordedAt, hash }: LedgerIncidentReport): string {
  const mitigate =
    r.timeToMitigateSeconds === undefined ? null : r.timeToMitigateSeconds === null ? 'no action changed anything' : `${formatTtr(r.timeToMitigateSeconds)} after the first sign`;
  const impact = r.impact
    ? `${count(r.impact.failedRequests)} of ${count(r.impact.totalRequests)} requests failed (${(r.impact.errorRatio * 100).toFixed(1)}%), ` +
      `about ${count(r.impact.affectedUsers)} users affected over ${formatTtr(r.impact.durationSeconds)}`
    : r.impact === null
      ? 'not measured'
      : null;
  const p = r.proposedSignature;
  const proposed = p ? [p.summary, p.signatureId && `signature ${p.signatureId}`, p.file && `draft ${p.file}`].filter(Boolean).join('; ') : null;
  const humans = r.humans.length
    ? r.humans.map((h) => `${h.operator} ${h.signal} at ${shortTime(h.at)}${h.reason ? ` (${h.reason})` : ''}`).join('; ')
    : null;
  const t = r.temporal;
  return [
    `from the audit ledger: Temporal does not have ${r.workflowId} run ${r.runId} (any more)`,
    '',
    reportText(r),
    '',
    fieldsText([
      ['detect', typeof r.timeToDetectSeconds === 'number' ? `${formatTtr(r.timeToDetectSeconds)} after the first sign` : null],
      ['mitigate', mitigate],
      ['impact', impact],
      ['impact basis', r.impact?.basis],
      ['human acts', humans],
      ['proposed', proposed],
      ['temporal', t ? `namespace ${t.namespace}, workflow ${t.workflowId}, run ${t.runId}` : null],
      ['web ui', t?.webUiUrl],
      ['ledger', `seq ${seq}, recorded ${shortTime(recordedAt)}, hash ${hash.slice(0, 16)}…`],
    ]),
  ].join('\n');
}
