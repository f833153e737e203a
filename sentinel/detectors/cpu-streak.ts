// How long a process has been at or above the CPU threshold without a break. One reading below the
// threshold ends the streak: a spike is CPU that stays high, a burst is one that does not.

export interface CpuStreak {
  /** When the current unbroken run of high readings began; null when the last reading was below. */
  highSince: number | null;
}

export const noStreak = (): CpuStreak => ({ highSince: null });

export function nextStreak(prev: CpuStreak, cpuPercent: number, at: number, thresholdPercent: number): CpuStreak {
  if (cpuPercent < thresholdPercent) return noStreak();
  return { highSince: prev.highSince ?? at };
}

export function isSustained(streak: CpuStreak, now: number, sustainedMs: number): boolean {
  return streak.highSince !== null && now - streak.highSince >= sustainedMs;
}
