// The pure judgement of drills: whether one run did what its class is designed to do, and per drill and per
// class the recovery p50/p95 against the acceptance targets. No I/O, so it is unit-tested on known inputs.
import type { IncidentClass } from '../policy/types';
import type { DrillRun, DrillSpec } from './types';

/** Nearest-rank quantile of an ascending list (the same rule as the benches and `zt report`). */
export function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, idx)]!;
}

/** What a drill saw of the incident(s) it caused, before judging. */
export interface Observed {
  /** null: no incident opened. */
  outcome: string | null;
  classified: IncidentClass | null;
  /** Every action taken (performed or not, refused included). */
  actions: Array<{ action: string; performed: boolean; refused?: boolean; error?: string | null }>;
  escalated: boolean;
  /** Actions taken after the escalation was seen (escalated-after-attempts must stay at zero). */
  actionsAfterEscalation?: number;
  maxFailedAttempts?: number;
}

export function judgeRun(spec: DrillSpec, o: Observed): { passed: boolean; why: string } {
  const n = o.actions.length;
  const names = o.actions.map((a) => a.action).join(', ') || 'none';
  const sameClass = spec.class === null || o.classified === spec.class;
  const classWhy = sameClass ? '' : `; classified ${o.classified ?? 'not at all'}, not ${spec.class}`;
  switch (spec.expect) {
    case 'recovered-with-action': {
      const passed = o.outcome === 'auto-resolved' && n >= 1 && sameClass;
      return { passed, why: `${o.outcome ?? 'no incident'} with ${n} action(s) (${names})${classWhy}` };
    }
    case 'recovered': {
      const passed = (o.outcome === 'auto-resolved' || o.outcome === 'recovered-without-action') && sameClass;
      return { passed, why: `${o.outcome ?? 'no incident'} with ${n} action(s) (${names})${classWhy}` };
    }
    case 'recovered-without-action': {
      const passed = o.outcome === 'recovered-without-action' && n === 0 && sameClass;
      return { passed, why: `${o.outcome ?? 'no incident'} with ${n} action(s) (${names})${classWhy}` };
    }
    case 'quiet': {
      const passed = n === 0;
      return { passed, why: o.outcome === null ? 'no incident' : `incident(s) ${o.outcome} with ${n} action(s) (${names})` };
    }
    case 'escalated-without-action': {
      const passed = o.escalated && n === 0;
      return { passed, why: `${o.escalated ? 'escalated' : (o.outcome ?? 'no incident')} with ${n} action(s) (${names})` };
    }
    case 'escalated-after-attempts': {
      const max = o.maxFailedAttempts ?? 2;
      const after = o.actionsAfterEscalation ?? 0;
      const passed = o.escalated && n === max && after === 0;
      return { passed, why: `${o.escalated ? 'escalated' : (o.outcome ?? 'no incident')} after ${n} action(s) (${names}), ${after} after the escalation` };
    }
  }
}

export interface DrillSummary {
  drill: string;
  class: IncidentClass | null;
  runs: number;
  passedRuns: number;
  recoverP50: number | null;
  recoverP95: number | null;
  detectP50: number | null;
  mitigateP50: number | null;
  baselinePm2Seconds: number | null | undefined;
  /** PM2 alone ÷ zero-touch (p50): above 1 zero-touch is faster; null when either never recovered. */
  ratio: number | null;
  targetSeconds: number | null;
  /** Every run passed and, for a recovery drill, p95 within the target. */
  passed: boolean;
  why: string;
}

const sortedOf = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null).sort((a, b) => a - b);

export function summariseDrill(spec: DrillSpec, runs: DrillRun[]): DrillSummary {
  const mine = runs.filter((r) => r.drill === spec.id);
  const recover = sortedOf(mine.map((r) => r.recoverSeconds));
  const p50 = quantile(recover, 0.5);
  const p95 = quantile(recover, 0.95);
  const baseline = mine.find((r) => r.baselinePm2Seconds !== undefined)?.baselinePm2Seconds;
  const passedRuns = mine.filter((r) => r.passed).length;
  const reasons: string[] = [];
  if (mine.length === 0) reasons.push('not run');
  if (passedRuns < mine.length) reasons.push(`${mine.length - passedRuns} of ${mine.length} run(s) failed`);
  // A recovery drill whose runs never recovered has no p95: that misses the target too.
  const recoveryDrill = spec.targetSeconds !== null;
  if (recoveryDrill && mine.length > 0) {
    if (p95 === null) reasons.push('never recovered');
    else if (recover.length < mine.length) reasons.push(`${mine.length - recover.length} run(s) never recovered`);
    else if (p95 > spec.targetSeconds!) reasons.push(`p95 ${p95.toFixed(1)} s > ${spec.targetSeconds} s`);
  }
  return {
    drill: spec.id,
    class: spec.class,
    runs: mine.length,
    passedRuns,
    recoverP50: p50,
    recoverP95: p95,
    detectP50: quantile(sortedOf(mine.map((r) => r.detectSeconds)), 0.5),
    mitigateP50: quantile(sortedOf(mine.map((r) => r.mitigateSeconds)), 0.5),
    baselinePm2Seconds: baseline,
    ratio: ratioOf(baseline, p50),
    targetSeconds: spec.targetSeconds,
    passed: reasons.length === 0,
    why: reasons.length ? reasons.join('; ') : `${passedRuns}/${mine.length} passed${recoveryDrill && p95 !== null ? `, p95 ${p95.toFixed(1)} s ≤ ${spec.targetSeconds} s` : ''}`,
  };
}

/** PM2 alone ÷ zero-touch; null when PM2 alone never recovered (the table says "never") or nothing was measured. */
export function ratioOf(baseline: number | null | undefined, zeroTouch: number | null): number | null {
  if (baseline === null || baseline === undefined || zeroTouch === null || zeroTouch <= 0) return null;
  return baseline / zeroTouch;
}

export interface ClassSummary {
  class: IncidentClass;
  drills: string[];
  runs: number;
  recoverP50: number | null;
  recoverP95: number | null;
  targetSeconds: number;
  passed: boolean;
  why: string;
}

/**
 * Per incident class over its class drills (kind `class`; the rollback and the load spike are reported as
 * drills of their own): p50/p95 of recovery, and whether every run passed with p95 within the target.
 */
export function summariseClasses(specs: DrillSpec[], runs: DrillRun[]): ClassSummary[] {
  const out: ClassSummary[] = [];
  for (const spec of specs.filter((s) => s.kind === 'class' && s.class !== null)) {
    const d = summariseDrill(spec, runs);
    if (d.runs === 0) continue;
    out.push({
      class: spec.class!,
      drills: [spec.id],
      runs: d.runs,
      recoverP50: d.recoverP50,
      recoverP95: d.recoverP95,
      targetSeconds: spec.targetSeconds!,
      passed: d.passed,
      why: d.why,
    });
  }
  return out;
}
