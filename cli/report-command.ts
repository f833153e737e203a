// `zt report`: success metrics over the closed incidents the ledger recorded (reporting/success-metrics.ts
// defines each number). The ledger, not Temporal visibility, because it keeps every report for good while
// Temporal drops histories past their retention.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { INCIDENT_CLASSES } from '../policy/types';
import { GROUP_BY, successReport, type GroupBy, type MetricsGroup, type SuccessMetrics, type SuccessQuery, type SuccessReport } from '../reporting/success-metrics';
import { parseDuration } from './duration';
import { CliError } from './errors';
import { assertServiceName, formatTtr, shortTime } from './incident-rows';
import { allIncidentReports, LEDGER_ENVIRONMENT_HELP, withLedger } from './ledger-access';
import { printJson, printText } from './output';
import { formatTable, type Cell } from './table';

/**
 * Reports are recorded when their incident ends, so none of an incident started after `since` was recorded
 * before it; the margin covers clocks of worker hosts that disagree with Temporal's.
 */
const RECORDED_MARGIN_MS = 24 * 60 * 60 * 1000;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
/** A time of day must carry its zone: "12:00" alone would mean the reader's local time. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Date would roll 2026-02-30 over to March 2 instead of refusing it. */
function realDate(text: string): boolean {
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/** "7d", "12h", "1h30m" (that long ago), "2026-03-01" (UTC midnight) or an ISO 8601 time with its zone. */
export function parseWhen(text: string, now = Date.now()): Date {
  const trimmed = text.trim();
  if ((DATE_ONLY.test(trimmed) || DATE_TIME.test(trimmed)) && realDate(trimmed)) {
    const t = new Date(DATE_ONLY.test(trimmed) ? `${trimmed}T00:00:00Z` : trimmed);
    if (!Number.isNaN(t.getTime())) return t;
  } else if (/^\d/.test(trimmed)) {
    try {
      return new Date(now - parseDuration(trimmed));
    } catch {
      // Told below, with both forms.
    }
  }
  throw new InvalidArgumentError(`"${text}" is neither a duration ago (7d, 12h, 1h30m) nor an ISO 8601 time (2026-03-01, 2026-03-01T12:00:00Z)`);
}

export function parseIncidentClass(value: string): string {
  if (!(INCIDENT_CLASSES as readonly string[]).includes(value)) {
    throw new CliError(`--class "${value}" is not an incident class (one of ${INCIDENT_CLASSES.join(', ')})`);
  }
  return value;
}

interface ReportOptions {
  since?: Date;
  until?: Date;
  service?: string;
  class?: string;
  by?: GroupBy;
  json?: boolean;
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('success metrics over closed incidents, from the audit ledger: automatic resolution, recovery time, pages, alerts, impact')
    .option('--since <when>', 'incidents started at or after: a duration ago (7d, 12h) or an ISO time (2026-03-01, 2026-03-01T12:00:00Z)', (v) => parseWhen(v))
    .option('--until <when>', 'incidents started before (same forms as --since)', (v) => parseWhen(v))
    .option('--service <name>', 'only incidents of this service')
    .option('--class <class>', 'only incidents of this class')
    .addOption(new Option('--by <group>', 'one row per class, service, day or week (UTC; a week is named by its Monday)').choices(GROUP_BY))
    .option('--json', 'print {since, until, service, class, by, firstStartedAt, lastStartedAt, overall, groups: [{group, …}]}')
    .addHelpText('after', LEDGER_ENVIRONMENT_HELP)
    .action(async (opts: ReportOptions) => {
      const query: SuccessQuery = {
        ...(opts.since ? { since: opts.since } : {}),
        ...(opts.until ? { until: opts.until } : {}),
        ...(opts.service !== undefined ? { service: assertServiceName(opts.service) } : {}),
        ...(opts.class !== undefined ? { class: parseIncidentClass(opts.class) } : {}),
        ...(opts.by ? { by: opts.by } : {}),
      };
      if (query.since && query.until && query.since >= query.until) {
        throw new CliError(`--since (${query.since.toISOString()}) must be before --until (${query.until.toISOString()})`);
      }
      const recordedFrom = query.since ? new Date(query.since.getTime() - RECORDED_MARGIN_MS) : undefined;
      const rows = await withLedger((ledger) => allIncidentReports(ledger, { recordedFrom, service: query.service, class: query.class }));
      const report = successReport((rows ?? []).map((r) => r.report), query);
      if (opts.json) return printJson(report);
      printText(rows === null ? 'no incidents recorded yet' : reportText(report));
    });
}

const percent = (r: number | null): string | null => (r === null ? null : `${(r * 100).toFixed(1)}%`);
const oneDecimal = (n: number | null): string | null => (n === null ? null : n.toFixed(1));
const whole = (n: number): string => Math.round(n).toLocaleString('en-US');

/** What was counted, in words: the period and the filters. */
export function scopeText(r: Pick<SuccessReport, 'since' | 'until' | 'service' | 'class'>): string {
  const period =
    r.since && r.until
      ? `started from ${shortTime(r.since)} until ${shortTime(r.until)}`
      : r.since
        ? `started since ${shortTime(r.since)}`
        : r.until
          ? `started before ${shortTime(r.until)}`
          : 'recorded';
  const filters = [r.service && `service ${r.service}`, r.class && `class ${r.class}`].filter(Boolean).join(', ');
  return filters ? `${period} (${filters})` : period;
}

function recoveryText(m: SuccessMetrics): string {
  const { all, automatic } = m.recoverySeconds;
  const allText = `p50 ${formatTtr(all.p50)}, p95 ${formatTtr(all.p95)} (all ${all.incidents})`;
  if (!automatic.incidents) return `${allText}; none resolved automatically`;
  return `${allText}; p50 ${formatTtr(automatic.p50)}, p95 ${formatTtr(automatic.p95)} (${automatic.incidents} resolved automatically)`;
}

/** Label: value lines for one set of metrics. */
export function metricsLines(m: SuccessMetrics): Array<[string, string]> {
  const o = m.outcomes;
  return [
    [
      'resolved automatically',
      `${m.resolvedAutomatically} of ${m.incidents} (${percent(m.automaticResolutionRate)}): ` +
        `${o['auto-resolved']} auto-resolved, ${o['recovered-without-action']} recovered without action; ${o['resolved-by-human']} resolved by a human`,
    ],
    ['recovery time', recoveryText(m)],
    ['pages per 100 incidents', `${oneDecimal(m.pagesPer100Incidents)} (${m.paged} paged)`],
    ['alerts per incident', `${oneDecimal(m.alertsPerIncident)} (${m.alertsReceived} alerts)`],
    ['time to detect', m.timeToDetect ? `mean ${formatTtr(m.timeToDetect.meanSeconds)} (${m.timeToDetect.incidents} measured)` : 'none measured'],
    ['time to mitigate', m.timeToMitigate ? `mean ${formatTtr(m.timeToMitigate.meanSeconds)} (${m.timeToMitigate.incidents} where an action changed something)` : 'none measured'],
    [
      'user impact',
      m.impact
        ? `${whole(m.impact.failedRequests)} failed requests, ${whole(m.impact.affectedUsers)} affected users (${m.impact.incidents} measured)`
        : 'none measured',
    ],
  ];
}

const GROUP_HEADER: Record<GroupBy, string> = { class: 'CLASS', service: 'SERVICE', day: 'DAY', week: 'WEEK OF' };

export function groupsTable(by: GroupBy, groups: MetricsGroup[]): string {
  const headers = [GROUP_HEADER[by], 'INCIDENTS', 'AUTO', 'TTR P50', 'TTR P95', 'AUTO P50', 'AUTO P95', 'PAGES/100', 'ALERTS/INC', 'MTTD', 'MTTM', 'FAILED REQS', 'USERS'];
  const rows: Cell[][] = groups.map((g) => [
    g.group ?? 'unclassified',
    g.incidents,
    percent(g.automaticResolutionRate),
    formatTtr(g.recoverySeconds.all.p50),
    formatTtr(g.recoverySeconds.all.p95),
    formatTtr(g.recoverySeconds.automatic.p50),
    formatTtr(g.recoverySeconds.automatic.p95),
    oneDecimal(g.pagesPer100Incidents),
    oneDecimal(g.alertsPerIncident),
    formatTtr(g.timeToDetect?.meanSeconds ?? null),
    formatTtr(g.timeToMitigate?.meanSeconds ?? null),
    g.impact ? whole(g.impact.failedRequests) : null,
    g.impact ? whole(g.impact.affectedUsers) : null,
  ]);
  return formatTable(headers, rows);
}

export function reportText(r: SuccessReport): string {
  const scope = scopeText(r);
  if (!r.overall.incidents) return scope === 'recorded' ? 'no incidents recorded yet' : `no incidents ${scope}`;
  const span = r.firstStartedAt && r.lastStartedAt ? `, first ${shortTime(r.firstStartedAt)}, last ${shortTime(r.lastStartedAt)}` : '';
  const lines = metricsLines(r.overall);
  const width = Math.max(...lines.map(([label]) => label.length));
  const block = lines.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
  const head = `Success metrics: ${r.overall.incidents} incident${r.overall.incidents === 1 ? '' : 's'} ${scope}${span}`;
  return r.by ? `${head}\n\n${block}\n\nBy ${r.by}\n${groupsTable(r.by, r.groups)}` : `${head}\n\n${block}`;
}
