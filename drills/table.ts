// The table `npm run drill` prints: one row per drill, its runs summarised (median detect/mitigate,
// p50/p95 recover), PM2 alone on the same fault, the ratio and the actions taken.
import type { DrillSummary } from './summary';
import type { DrillRun, DrillSpec } from './types';

const secs = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : x.toFixed(1));

export function baselineText(b: number | null | undefined): string {
  if (b === undefined) return 'n/a';
  return b === null ? 'never' : `${b.toFixed(1)} s`;
}

/** "7.9×" (zero-touch that many times faster), "0.3×" (PM2 alone faster), "∞" (PM2 alone never), "—". */
export function ratioText(baseline: number | null | undefined, ratio: number | null, recovered: boolean): string {
  if (baseline === undefined || !recovered) return '—';
  if (baseline === null) return '∞';
  return ratio === null ? '—' : `${ratio.toFixed(1)}×`;
}

/** Outcomes counted, e.g. "auto-resolved ×4, escalated ×1". */
export function outcomesText(runs: DrillRun[]): string {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  return [...counts].map(([o, n]) => (n > 1 ? `${o} ×${n}` : o)).join(', ') || '—';
}

/** Distinct action sequences, e.g. "pm2-restart" or "pm2-restart ×2 | none". */
export function actionsText(runs: DrillRun[]): string {
  const counts = new Map<string, number>();
  for (const r of runs) {
    const key = r.actions.length ? r.actions.join(' → ') : 'none';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (counts.size === 1) return [...counts.keys()][0]!;
  return [...counts].map(([a, n]) => `${a} ×${n}`).join(' | ') || '—';
}

export function formatRows(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function drillTable(specs: DrillSpec[], summaries: DrillSummary[], runs: DrillRun[]): string {
  const header = ['drill', 'class', 'runs', 'outcome', 'detect', 'mitigate', 'recover p50/p95', 'PM2 alone', 'ratio', 'actions', 'pass'];
  const rows = summaries
    .filter((s) => s.runs > 0)
    .map((s) => {
      const spec = specs.find((d) => d.id === s.drill)!;
      const mine = runs.filter((r) => r.drill === s.drill);
      const recovered = s.recoverP50 !== null && spec.kind !== 'false-positive' && spec.kind !== 'escalation';
      return [
        s.drill,
        s.class ?? '—',
        String(s.runs),
        outcomesText(mine),
        secs(s.detectP50),
        secs(s.mitigateP50),
        recovered ? `${secs(s.recoverP50)} / ${secs(s.recoverP95)}` : '—',
        baselineText(s.baselinePm2Seconds),
        ratioText(s.baselinePm2Seconds, s.ratio, recovered),
        actionsText(mine),
        s.passed ? 'PASS' : `FAIL (${s.why})`,
      ];
    });
  return formatRows(header, rows);
}
