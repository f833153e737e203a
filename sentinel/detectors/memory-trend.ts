// Judges one process's RSS history. A leak is growth that is sustained (the samples cover most of the
// window), fast enough (least-squares slope), steady (a good linear fit) and still going on (the newer
// half of the window grows too), or a ceiling crossed by several readings in a row. A GC sawtooth rises
// and falls with no trend; a process that grew once and settled (its allocator keeping freed pages) has
// flattened out; one high reading is a reading, not a leak.
import { linearFit } from './linear-fit';

export interface RssSample {
  at: number;
  mb: number;
}

export interface MemoryRule {
  windowMs: number;
  growthMbPerMinute: number;
  maxRssMb?: number;
}

export interface MemoryVerdict {
  leaking: boolean;
  /** MB per minute over the window, when there were enough samples to fit a line. */
  slopeMbPerMinute: number | null;
  r2: number | null;
  reason: 'growth' | 'ceiling' | null;
}

/** The samples must span this share of the window: a trend seen over a few seconds is noise. */
export const MIN_WINDOW_COVERAGE = 0.8;
export const MIN_SAMPLES = 5;
/** Below this, the line does not explain the series: up and down is not a trend. */
export const MIN_R2 = 0.6;
/** The newer half of the window must grow at least this share of the threshold rate. */
export const MIN_RECENT_GROWTH_SHARE = 0.5;
/** Consecutive readings above maxRssMb before the ceiling counts. */
export const CEILING_READINGS = 3;

/** Drops samples older than the window (relative to the newest), so the history stays bounded. */
export function trimToWindow(samples: RssSample[], windowMs: number): RssSample[] {
  const newest = samples.at(-1);
  if (!newest) return samples;
  return samples.filter((s) => newest.at - s.at <= windowMs);
}

export function judgeMemory(samples: readonly RssSample[], rule: MemoryRule): MemoryVerdict {
  const recent = samples.slice(-CEILING_READINGS);
  const overCeiling =
    rule.maxRssMb !== undefined && recent.length === CEILING_READINGS && recent.every((s) => s.mb > rule.maxRssMb!);

  const first = samples[0];
  const last = samples.at(-1);
  const covered = first && last ? last.at - first.at : 0;
  const fit =
    samples.length >= MIN_SAMPLES && covered >= rule.windowMs * MIN_WINDOW_COVERAGE
      ? linearFit(samples.map((s) => ({ x: (s.at - first!.at) / 60_000, y: s.mb })))
      : null;
  const recentHalf = last ? samples.filter((s) => s.at >= last.at - rule.windowMs / 2) : [];
  const recentFit =
    fit !== null && recentHalf.length >= 3
      ? linearFit(recentHalf.map((s) => ({ x: (s.at - recentHalf[0]!.at) / 60_000, y: s.mb })))
      : null;
  const stillGrowing = recentFit !== null && recentFit.slope >= rule.growthMbPerMinute * MIN_RECENT_GROWTH_SHARE;
  const growing = fit !== null && fit.slope >= rule.growthMbPerMinute && fit.r2 >= MIN_R2 && stillGrowing;

  return {
    leaking: growing || overCeiling,
    slopeMbPerMinute: fit?.slope ?? null,
    r2: fit?.r2 ?? null,
    reason: growing ? 'growth' : overCeiling ? 'ceiling' : null,
  };
}
