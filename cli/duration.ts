// Durations as an operator types them: 90s, 30m, 2h, 1d, 1h30m (ms also accepted).
import { InvalidArgumentError } from 'commander';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+)(ms|s|m|h|d)/g;

export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (!/^(\d+(ms|s|m|h|d))+$/.test(trimmed)) {
    throw new InvalidArgumentError(`"${text}" is not a duration: use e.g. 90s, 30m, 2h, 1d or 1h30m`);
  }
  let total = 0;
  for (const [, n, unit] of trimmed.matchAll(PART)) total += Number(n) * (UNIT_MS[unit!] ?? 0);
  if (total <= 0) throw new InvalidArgumentError(`"${text}" is not a positive duration`);
  return total;
}

/** 1800000 → "30m", 5400000 → "1h30m". */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = ms;
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}ms`);
  return parts.join('');
}
