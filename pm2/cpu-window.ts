// CPU % per process over the last second, whoever asks and however often. PM2's own `monit.cpu` comes from
// pidusage, which measures since the previous call for that pid by anyone: with the sentinel's detectors,
// diagnosis and verification all listing processes, those windows shrink to milliseconds, below the
// kernel's 10 ms accounting tick, and a process burning 80 % reads 0 % or 200 % at random. Here each
// process's CPU time (utime + stime from /proc/<pid>/stat) is sampled on every list and the percentage is
// taken over the newest window of at least WINDOW_MS. Where /proc is not available (not Linux, process
// gone) PM2's value stands.
import { readFile } from 'node:fs/promises';

const WINDOW_MS = 1_000;
/** Shortest window worth reporting for a process seen only just now (20 ticks). */
const MIN_WINDOW_MS = 200;
const KEEP_MS = 5_000;
/** USER_HZ: the unit of /proc/<pid>/stat times; 100 on every mainstream Linux. */
const TICKS_PER_SECOND = 100;

interface Sample {
  at: number;
  ticks: number;
}

export class CpuWindow {
  private readonly samples = new Map<number, Sample[]>();

  /** Records a reading and returns CPU % over the newest window ≥ WINDOW_MS, or null when too new to tell. */
  record(pid: number, at: number, ticks: number): number | null {
    const list = (this.samples.get(pid) ?? []).filter((s) => at - s.at <= KEEP_MS && s.ticks <= ticks);
    list.push({ at, ticks });
    this.samples.set(pid, list);
    const base = [...list].reverse().find((s) => at - s.at >= WINDOW_MS) ?? list[0]!;
    const span = at - base.at;
    if (span < MIN_WINDOW_MS) return null;
    return Math.round((((ticks - base.ticks) / TICKS_PER_SECOND) * 1000 * 100) / span);
  }

  /** Forgets processes that are gone (their pids may be reused). */
  keepOnly(pids: ReadonlySet<number>): void {
    for (const pid of this.samples.keys()) if (!pids.has(pid)) this.samples.delete(pid);
  }
}

/** utime + stime of a process in clock ticks, or null when /proc cannot tell (not Linux, no such pid). */
export async function cpuTicksOf(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: fields count from after it.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null;
  } catch {
    return null;
  }
}
