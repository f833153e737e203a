// The shapes every drill shares: what a drill is (its catalog entry) and what one run of it measured.
import type { IncidentClass } from '../policy/types';

/**
 * What "passed" means for one run of a drill, by design of the class (docs/drills.md):
 * - `recovered-with-action`: the incident closed auto-resolved after at least one action;
 * - `recovered`: closed auto-resolved or recovered-without-action (a crash PM2 itself restarts may need nothing);
 * - `recovered-without-action`: closed with no action, by design (verify-only: a transient outside our processes);
 * - `quiet`: no incident at all, or incidents that took no action (false positives);
 * - `escalated-without-action`: escalated to a human, nothing done;
 * - `escalated-after-attempts`: escalated after exactly `policy.maxFailedAttempts` failed attempts, no further action.
 */
export type Expectation =
  | 'recovered-with-action'
  | 'recovered'
  | 'recovered-without-action'
  | 'quiet'
  | 'escalated-without-action'
  | 'escalated-after-attempts';

export type DrillKind = 'class' | 'rollback' | 'load-spike' | 'false-positive' | 'escalation';

export interface DrillSpec {
  /** Selectable name; a class drill is named after its class so `npm run drill deadlock` runs it. */
  id: string;
  family: string;
  kind: DrillKind;
  /** The incident class the drill produces (null for a false positive: nothing should be classified). */
  class: IncidentClass | null;
  /** What is injected or produced, in words. */
  injects: string;
  expect: Expectation;
  /** The pass rule in words, as the table's legend and the docs say it. */
  passRule: string;
  /** Settings changed from the defaults so the drill takes seconds, not minutes (null: defaults). */
  tuning: string | null;
  /** Runs when --runs is not given. */
  defaultRuns: number;
  /** Recovery p95 target in seconds (null: not a recovery drill). */
  targetSeconds: number | null;
}

/** One run of a drill, as reports/drills.json's `runs` holds it. Times are seconds from the fault. */
export interface DrillRun {
  drill: string;
  class: IncidentClass | null;
  run: number;
  /** auto-resolved | recovered-without-action | resolved-by-human | escalated | no-incident | quiet | open | error */
  outcome: string;
  /** What the incident was classified as (null: no incident or not classified). */
  classified: IncidentClass | null;
  detectSeconds: number | null;
  mitigateSeconds: number | null;
  recoverSeconds: number | null;
  /** Actions taken, e.g. ["pm2-restart"]; a refused or failed one is suffixed " (refused)" / " (failed)". */
  actions: string[];
  /** Time for PM2 alone to recover from the same fault (null: not within the limit); undefined: not measured. */
  baselinePm2Seconds: number | null | undefined;
  passed: boolean;
  /** Why it passed or not, in words. */
  why: string;
  incidentIds: string[];
  escalation: string | null;
  /** Anything else the drill measured (e.g. the storm's alerts/s). */
  extra?: Record<string, unknown>;
}

/** What a family of drills gets from `npm run drill`: its selected drills, how often to run each, where to report. */
export interface FamilyContext {
  specs: DrillSpec[];
  runsOf(spec: DrillSpec): number;
  /** Measure the PM2-alone baseline of each class drill. */
  baseline: boolean;
  baselineLimitMs: number;
  record(run: DrillRun): void;
  setBaseline(drill: string, seconds: number | null): void;
}

export type FamilyRunner = (ctx: FamilyContext) => Promise<void>;
