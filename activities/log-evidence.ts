// Log evidence for diagnosis: the tail of each PM2 log of the service's processes (stderr by default), only
// the lines written recently, matched against the catalog's log signals. What is recorded is the matches,
// bounded (policy/log-signals.ts), and in words how each file was read, so a missing or unreadable log
// shows in the history as "no evidence from it" rather than as silence.
import type { CatalogSettings } from '../policy/catalog/schema';
import {
  compileLogSignals,
  LOG_READ_TIMEOUT_MS,
  LOG_TAIL_BYTES,
  LOG_TAIL_LINES,
  matchLogLines,
  QUOTES_PER_EVIDENCE,
  QUOTES_PER_LOG,
  recentLines,
} from '../policy/log-signals';
import type { LogEvidence } from '../policy/types';
import type { Pm2Process } from '../pm2/client';
import { readLogTail, type LogTail } from '../probes/log-tail';

export interface LogEvidenceOptions {
  now?: number;
  maxBytes?: number;
  timeoutMs?: number;
  readTail?: typeof readLogTail;
}

type LogSettings = Pick<CatalogSettings, 'logSignals' | 'logStreams' | 'logWindowMinutes'>;

const kb = (bytes: number) => (bytes < 1024 ? `${bytes} B` : `${Math.round(bytes / 1024)} KB`);

/** PM2 writes nothing for a process whose log goes to /dev/null (or NULL on Windows). */
function discarded(file: string): boolean {
  return file === '/dev/null' || file.toUpperCase() === 'NUL';
}

/**
 * One entry per distinct log file of `processes` and stream of `settings.logStreams`, in instance order.
 * Empty when the catalog has no enabled log signal: nothing to look for, nothing is read.
 */
export async function collectLogEvidence(processes: readonly Pm2Process[], settings: LogSettings, opts: LogEvidenceOptions = {}): Promise<LogEvidence[]> {
  const signals = compileLogSignals(settings.logSignals);
  if (signals.length === 0) return [];
  const now = opts.now ?? Date.now();
  const windowMs = settings.logWindowMinutes * 60_000;
  const window = `the last ${settings.logWindowMinutes} min`;
  const read = opts.readTail ?? readLogTail;

  const groups = new Map<string, { stream: 'err' | 'out'; file: string | null; instances: number[]; pmIds: number[] }>();
  for (const stream of settings.logStreams) {
    for (const p of [...processes].sort((a, b) => a.instance - b.instance || a.pmId - b.pmId)) {
      const file = (stream === 'err' ? p.errLogPath : p.outLogPath) ?? null;
      const key = file === null ? `${stream}:none:${p.pmId}` : `${stream}:${file}`;
      const group = groups.get(key) ?? { stream, file, instances: [], pmIds: [] };
      if (!group.instances.includes(p.instance)) group.instances.push(p.instance);
      group.pmIds.push(p.pmId);
      groups.set(key, group);
    }
  }

  const entries = await Promise.all(
    [...groups.values()].map(async (g): Promise<LogEvidence> => {
      const base = { instances: g.instances, pmIds: g.pmIds, stream: g.stream, file: g.file };
      const none = (why: string): LogEvidence => ({ ...base, read: `${why}: no log evidence from it`, readable: false, matches: [] });
      if (g.file === null) return none('PM2 names no log file');
      if (discarded(g.file)) return none(`PM2 discards it (${g.file})`);
      try {
        const tail: LogTail = await read(g.file, { maxBytes: opts.maxBytes ?? LOG_TAIL_BYTES, timeoutMs: opts.timeoutMs ?? LOG_READ_TIMEOUT_MS });
        if (tail.status !== 'read') return none(`${tail.status} (${tail.reason})`);
        const from = `the last ${kb(tail.bytes)} of ${kb(tail.size)}`;
        if (tail.mtimeMs < now - windowMs) {
          return { ...base, read: `not written in ${window} (read ${from}): nothing recent`, readable: true, matches: [] };
        }
        const recent = recentLines(tail.text, { now, windowMs, fileMtime: tail.mtimeMs, maxLines: LOG_TAIL_LINES });
        const older = recent.old ? `, ${recent.old} older` : '';
        return {
          ...base,
          read: `read ${from}: ${recent.lines.length} of its last ${recent.looked} line(s) from ${window}${older}`,
          readable: true,
          matches: matchLogLines(recent.lines, signals, QUOTES_PER_LOG),
        };
      } catch (err) {
        // Log evidence is extra evidence: a surprise here must never cost the diagnosis itself.
        return none(`failed (${(err as Error).message})`);
      }
    }),
  );

  // A bound on the whole evidence too: a service of many instances, each with its own file, quotes no more.
  let quotesLeft = QUOTES_PER_EVIDENCE;
  for (const entry of entries) {
    for (const m of entry.matches) {
      m.lines = m.lines.slice(0, Math.max(0, quotesLeft));
      quotesLeft -= m.lines.length;
    }
  }
  return entries;
}
