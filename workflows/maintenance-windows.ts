// Weekly maintenance windows (config `governor.maintenance`), evaluated against the workflow clock. UTC
// only; a window whose `to` is not after its `from` ends the next day. Pure.
import { WEEKDAYS, type MaintenanceWindow } from '../config/governor';

const DAY_MS = 24 * 3_600_000;

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** The window's occurrence that starts on the UTC day beginning at `dayStart`, if it runs that day. */
function occurrence(window: MaintenanceWindow, dayStart: number): { start: number; end: number } | null {
  const weekday = WEEKDAYS[new Date(dayStart).getUTCDay()]!;
  if (window.days && !window.days.includes(weekday)) return null;
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  const start = dayStart + from * 60_000;
  const end = dayStart + (to > from ? to : to + 24 * 60) * 60_000;
  return { start, end };
}

function occurrences(windows: readonly MaintenanceWindow[], now: number, daysBack: number, daysAhead: number) {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const found: Array<{ window: MaintenanceWindow; start: number; end: number }> = [];
  for (let d = -daysBack; d <= daysAhead; d++) {
    for (const window of windows) {
      const o = occurrence(window, today + d * DAY_MS);
      if (o) found.push({ window, ...o });
    }
  }
  return found;
}

export function describeWindow(w: MaintenanceWindow): string {
  return `${w.days ? w.days.join(',') : 'daily'} ${w.from}-${w.to} UTC`;
}

/** The window in force at `now` (the one lasting longest when several overlap), or null. */
export function activeWindow(windows: readonly MaintenanceWindow[], now: number): { until: number; label: string } | null {
  const active = occurrences(windows, now, 1, 0).filter((o) => o.start <= now && now < o.end);
  if (active.length === 0) return null;
  const longest = active.reduce((a, b) => (b.end > a.end ? b : a));
  return { until: longest.end, label: describeWindow(longest.window) };
}

/** The next moment after `now` at which some window starts or ends; null when there are no windows. */
export function nextWindowBoundary(windows: readonly MaintenanceWindow[], now: number): number | null {
  let next: number | null = null;
  for (const o of occurrences(windows, now, 1, 8)) {
    for (const t of [o.start, o.end]) if (t > now && (next === null || t < next)) next = t;
  }
  return next;
}
