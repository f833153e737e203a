// What every reliability drill hands back, and how the run prints and writes them (reports/reliability.json).
// Pure: no I/O here, so the shapes and the table are unit-tested.

export interface DrillResult {
  drill: string;
  /** Incidents (or requests, for the fuzz drill) the drill ran. */
  runs: number;
  /** Runs that ended as the drill requires. */
  passed: number;
  /** Runs whose outcome is missing: an incident that never completed, a ledger row never written. */
  lost: number;
  /** Things done twice that must be done once: a restart, an action in a report, a ledger row. */
  duplicated: number;
  details: Record<string, unknown>;
}

export interface ReliabilityReport {
  measuredAt: string;
  machine: { cpus: number; node: string };
  ok: boolean;
  drills: DrillResult[];
}

/** A drill passes when every run passed and nothing was lost or doubled. */
export function drillOk(r: DrillResult): boolean {
  return r.runs > 0 && r.passed === r.runs && r.lost === 0 && r.duplicated === 0;
}

export function reliabilityReport(drills: DrillResult[], machine: { cpus: number; node: string }, now = new Date()): ReliabilityReport {
  return { measuredAt: now.toISOString(), machine, ok: drills.length > 0 && drills.every(drillOk), drills };
}

/** A drill that could not run to its end (set-up failed, threw): counted as run once and failed. */
export function failedDrill(drill: string, err: unknown, details: Record<string, unknown> = {}): DrillResult {
  const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { drill, runs: Math.max(1, Number(details.runs ?? 1)), passed: 0, lost: 0, duplicated: 0, details: { ...details, error } };
}

export function formatTable(drills: DrillResult[]): string {
  const header = ['drill', 'runs', 'passed', 'lost', 'duplicated', 'result'];
  const rows = drills.map((d) => [d.drill, String(d.runs), String(d.passed), String(d.lost), String(d.duplicated), drillOk(d) ? 'PASS' : 'FAIL']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Nearest-rank quantile of already sorted numbers; NaN for none. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * Restarts that PM2 counted against restarts the reports say were performed, per pm_id: more in PM2 than in
 * the reports is an action done twice (or done by nobody's decision); fewer is an action recorded but not done.
 */
export function compareRestarts(
  pm2Delta: Record<string, number>,
  reportedRestarts: Record<string, number>,
): { duplicated: number; missing: number; perInstance: Record<string, { pm2: number; reported: number }> } {
  const ids = [...new Set([...Object.keys(pm2Delta), ...Object.keys(reportedRestarts)])].sort();
  let duplicated = 0;
  let missing = 0;
  const perInstance: Record<string, { pm2: number; reported: number }> = {};
  for (const id of ids) {
    const pm2 = pm2Delta[id] ?? 0;
    const reported = reportedRestarts[id] ?? 0;
    perInstance[id] = { pm2, reported };
    if (pm2 > reported) duplicated += pm2 - reported;
    if (reported > pm2) missing += reported - pm2;
  }
  return { duplicated, missing, perInstance };
}

/** Actions recorded more than once in one report (the same idempotency key, or the same attempt and action twice). */
export function duplicateActions(actions: ReadonlyArray<{ idempotencyKey: string }>): number {
  const seen = new Set<string>();
  let dup = 0;
  for (const a of actions) {
    if (seen.has(a.idempotencyKey)) dup++;
    seen.add(a.idempotencyKey);
  }
  return dup;
}
