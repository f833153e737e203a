// Success metrics over closed incidents, from their reports (the ledger's `incident-report` rows):
// how many, how many the system resolved on its own, how fast they recovered, how often a human was
// paged, how noisy they were, and what users felt. `zt report` prints them; dashboards and scripts
// read its --json. Definitions, each chosen to be explained in one sentence:
//   - an incident belongs to the period, the day and the week it STARTED in (UTC);
//   - resolved automatically: outcome auto-resolved or recovered-without-action (no human closed it);
//   - recovery time: the report's ttrSeconds (first sign of the fault → verified recovery or human
//     resolution); quantiles are nearest-rank, so every p50/p95 is the recovery time of a real incident;
//   - paged: the report has an escalation (the workflow pages exactly when it escalates);
//   - time to detect / mitigate, user impact: over the incidents whose report measured them (older
//     reports, incidents where nothing was changed, unmeasured traffic are left out, and counted).
// Pure: the CLI reads the reports and prints; tests table-drive it.
import type { IncidentOutcome, IncidentReport } from '../signals/incident';

export const GROUP_BY = ['class', 'service', 'day', 'week'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export const OUTCOMES = ['auto-resolved', 'recovered-without-action', 'resolved-by-human'] as const satisfies readonly IncidentOutcome[];
const AUTOMATIC: ReadonlySet<string> = new Set<IncidentOutcome>(['auto-resolved', 'recovered-without-action']);

/** The fields of a report the metrics read; reports recorded by older workers may lack the optional ones. */
export type ReportForMetrics = Pick<IncidentReport, 'outcome' | 'class' | 'service' | 'ttrSeconds' | 'alertsReceived' | 'escalation' | 'startedAt'> &
  Partial<Pick<IncidentReport, 'timeToDetectSeconds' | 'timeToMitigateSeconds' | 'impact'>>;

export interface Quantiles {
  /** Incidents with a recovery time. */
  incidents: number;
  p50: number | null;
  p95: number | null;
}

export interface MeanOverMeasured {
  meanSeconds: number;
  /** Incidents whose report had the value. */
  incidents: number;
}

export interface SuccessMetrics {
  incidents: number;
  outcomes: Record<IncidentOutcome, number>;
  /** auto-resolved + recovered-without-action. */
  resolvedAutomatically: number;
  /** resolvedAutomatically ÷ incidents; null without incidents. */
  automaticResolutionRate: number | null;
  /** ttrSeconds: of every incident, and of those resolved automatically. */
  recoverySeconds: { all: Quantiles; automatic: Quantiles };
  /** Incidents that escalated, i.e. paged a human. */
  paged: number;
  pagesPer100Incidents: number | null;
  alertsReceived: number;
  alertsPerIncident: number | null;
  timeToDetect: MeanOverMeasured | null;
  timeToMitigate: MeanOverMeasured | null;
  /** Totals over the incidents whose report estimated the impact; null when none did. */
  impact: { incidents: number; failedRequests: number; affectedUsers: number } | null;
}

export interface MetricsGroup extends SuccessMetrics {
  /**
   * The class, service, day (YYYY-MM-DD) or week (the date of its Monday, YYYY-MM-DD) the group stands
   * for; null for incidents that were never classified (grouped by class).
   */
  group: string | null;
}

export interface SuccessQuery {
  /** Incidents started at or after. */
  since?: Date;
  /** Incidents started before. */
  until?: Date;
  service?: string;
  class?: string;
  by?: GroupBy;
}

export interface SuccessReport {
  since: string | null;
  until: string | null;
  service: string | null;
  class: string | null;
  by: GroupBy | null;
  /** Start of the earliest and latest incident counted; null when none. */
  firstStartedAt: string | null;
  lastStartedAt: string | null;
  overall: SuccessMetrics;
  /** Empty unless grouped: class and service by most incidents first, day and week oldest first. */
  groups: MetricsGroup[];
}

/** Nearest rank: the smallest value with at least q of the values at or below it. q in (0, 1]. */
export function quantile(sortedAscending: readonly number[], q: number): number | null {
  if (!sortedAscending.length) return null;
  const rank = Math.max(1, Math.ceil(q * sortedAscending.length));
  return sortedAscending[Math.min(rank, sortedAscending.length) - 1] ?? null;
}

function quantiles(values: number[]): Quantiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { incidents: sorted.length, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) };
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function mean(values: number[]): MeanOverMeasured | null {
  return values.length ? { meanSeconds: values.reduce((a, b) => a + b, 0) / values.length, incidents: values.length } : null;
}

const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

export function successMetrics(reports: readonly ReportForMetrics[]): SuccessMetrics {
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<IncidentOutcome, number>;
  const ttrAll: number[] = [];
  const ttrAutomatic: number[] = [];
  const detect: number[] = [];
  const mitigate: number[] = [];
  let automatic = 0;
  let paged = 0;
  let alerts = 0;
  let impact: SuccessMetrics['impact'] = null;
  for (const r of reports) {
    if (r.outcome in outcomes) outcomes[r.outcome] += 1;
    const auto = AUTOMATIC.has(r.outcome);
    if (auto) automatic += 1;
    if (finite(r.ttrSeconds)) {
      ttrAll.push(r.ttrSeconds);
      if (auto) ttrAutomatic.push(r.ttrSeconds);
    }
    if (r.escalation) paged += 1;
    if (finite(r.alertsReceived)) alerts += r.alertsReceived;
    if (finite(r.timeToDetectSeconds)) detect.push(r.timeToDetectSeconds);
    if (finite(r.timeToMitigateSeconds)) mitigate.push(r.timeToMitigateSeconds);
    if (r.impact && finite(r.impact.failedRequests) && finite(r.impact.affectedUsers)) {
      impact ??= { incidents: 0, failedRequests: 0, affectedUsers: 0 };
      impact.incidents += 1;
      impact.failedRequests += r.impact.failedRequests;
      impact.affectedUsers += r.impact.affectedUsers;
    }
  }
  const n = reports.length;
  const per100 = ratio(paged, n);
  return {
    incidents: n,
    outcomes,
    resolvedAutomatically: automatic,
    automaticResolutionRate: ratio(automatic, n),
    recoverySeconds: { all: quantiles(ttrAll), automatic: quantiles(ttrAutomatic) },
    paged,
    pagesPer100Incidents: per100 === null ? null : per100 * 100,
    alertsReceived: alerts,
    alertsPerIncident: ratio(alerts, n),
    timeToDetect: mean(detect),
    timeToMitigate: mean(mitigate),
    impact,
  };
}

/** The UTC day of an instant, YYYY-MM-DD. */
export function dayOf(t: Date): string {
  return t.toISOString().slice(0, 10);
}

/** The Monday (UTC) of the ISO week of an instant, YYYY-MM-DD. */
export function weekOf(t: Date): string {
  const daysSinceMonday = (t.getUTCDay() + 6) % 7;
  return dayOf(new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() - daysSinceMonday)));
}

function groupKey(r: ReportForMetrics, started: Date, by: GroupBy): string | null {
  switch (by) {
    case 'class':
      return r.class ?? null;
    case 'service':
      return r.service;
    case 'day':
      return dayOf(started);
    case 'week':
      return weekOf(started);
  }
}

/** Filters reports to the query (period by start time, service, class), then computes overall and per group. */
export function successReport(reports: readonly ReportForMetrics[], q: SuccessQuery = {}): SuccessReport {
  const selected: Array<{ report: ReportForMetrics; started: Date }> = [];
  for (const report of reports) {
    const started = new Date(report.startedAt);
    // A report without a readable start cannot be placed in any period; it has no place in the metrics.
    if (Number.isNaN(started.getTime())) continue;
    if (q.since && started < q.since) continue;
    if (q.until && started >= q.until) continue;
    if (q.service !== undefined && report.service !== q.service) continue;
    if (q.class !== undefined && report.class !== q.class) continue;
    selected.push({ report, started });
  }
  selected.sort((a, b) => a.started.getTime() - b.started.getTime());

  const groups: MetricsGroup[] = [];
  if (q.by) {
    const by = q.by;
    const buckets = new Map<string | null, ReportForMetrics[]>();
    for (const { report, started } of selected) {
      const key = groupKey(report, started, by);
      const bucket = buckets.get(key);
      if (bucket) bucket.push(report);
      else buckets.set(key, [report]);
    }
    for (const [group, members] of buckets) groups.push({ group, ...successMetrics(members) });
    const chronological = by === 'day' || by === 'week';
    groups.sort((a, b) =>
      chronological ? (a.group ?? '').localeCompare(b.group ?? '') : b.incidents - a.incidents || compareNullLast(a.group, b.group),
    );
  }

  return {
    since: q.since?.toISOString() ?? null,
    until: q.until?.toISOString() ?? null,
    service: q.service ?? null,
    class: q.class ?? null,
    by: q.by ?? null,
    firstStartedAt: selected[0]?.started.toISOString() ?? null,
    lastStartedAt: selected.at(-1)?.started.toISOString() ?? null,
    overall: successMetrics(selected.map((s) => s.report)),
    groups,
  };
}

/** Names in order, the unclassified group last. */
function compareNullLast(a: string | null, b: string | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return a.localeCompare(b);
}
