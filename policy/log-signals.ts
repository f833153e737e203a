// Log signals: named patterns of the signature catalog (`settings.logSignals`) looked for in the recent
// lines of each instance's PM2 log. Diagnosis reads the tail of the file (activities/log-evidence.ts) and
// records only what matched, trimmed and with secrets masked, never the log itself: evidence goes into the
// workflow history and must stay small. Pure functions, so the bounds and the matching are unit-tested.
import type { LogSignal } from './catalog/schema';
import type { LogSignalMatch } from './types';

/** At most this much of the end of a log file is read. */
export const LOG_TAIL_BYTES = 64 * 1024;
/** Of what was read, at most this many last lines are looked at. */
export const LOG_TAIL_LINES = 200;
/** A log file that does not give up its tail within this is no evidence (a stuck disk must not stall diagnosis). */
export const LOG_READ_TIMEOUT_MS = 2_000;
/** A longer line is matched on its first this-many characters only (bounds the regular expressions' work). */
export const MATCH_LINE_CHARS = 4_096;
/** A quoted line is at most this long. */
export const QUOTE_CHARS = 300;
/** Distinct lines quoted per signal and log file, the latest first. */
export const QUOTES_PER_SIGNAL = 3;
/** Lines quoted per log file, whatever the number of signals. */
export const QUOTES_PER_LOG = 20;
/** Lines quoted in the whole evidence of one diagnosis (many instances, one file each). */
export const QUOTES_PER_EVIDENCE = 60;

export interface CompiledLogSignal {
  name: string;
  risk: LogSignalMatch['risk'];
  minMatches: number;
  regex: RegExp;
}

/** The enabled signals, compiled (the catalog schema has already refused patterns that do not compile). */
export function compileLogSignals(signals: readonly LogSignal[]): CompiledLogSignal[] {
  return signals
    .filter((s) => s.enabled)
    .map((s) => ({ name: s.name, risk: s.risk ?? null, minMatches: s.minMatches, regex: new RegExp(s.pattern, s.caseSensitive ? '' : 'i') }));
}

// ---- when a line was written ----

const LEADING_TIME = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:\s?(?:Z|[+-]\d{2}:?\d{2}))?)\]?/;
const JSON_TIME_FIELDS = ['time', 'timestamp', 'ts', '@timestamp', 'date'];

function epochOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (value > 1e12) return value; // ms (pino)
    if (value > 1e9) return value * 1000; // seconds
    return null;
  }
  if (typeof value === 'string') {
    const t = Date.parse(value.replace(',', '.'));
    return Number.isFinite(t) ? t : null;
  }
  return null;
}

function parseJson(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * When the line says it was written: a JSON log's `time`/`timestamp`/`ts`/`@timestamp`/`date` (ISO or epoch),
 * or a leading ISO-like stamp (PM2's `log_date_format`, most text loggers). null: the line does not say.
 */
export function lineTime(line: string): number | null {
  const text = line.trim();
  const json = parseJson(text);
  if (json) {
    for (const field of JSON_TIME_FIELDS) {
      const t = epochOf(json[field]);
      if (t !== null) return t;
    }
    return null;
  }
  const lead = LEADING_TIME.exec(text);
  return lead ? epochOf(lead[1]) : null;
}

export interface RecentLines {
  /** The lines that may have been written within the window, oldest first. */
  lines: string[];
  /** Non-blank lines looked at (the last LOG_TAIL_LINES of what was read). */
  looked: number;
  /** Of those, lines known to be older than the window. */
  old: number;
}

/**
 * The last `maxLines` non-blank lines of `text`, without those known to be older than `windowMs` before
 * `now`. A line without a time of its own (a stack-trace line, a plain console.error) is dated by the next
 * dated line after it, or by `fileMtime` if none follows: it counts unless it is certainly too old.
 */
export function recentLines(text: string, opts: { now: number; windowMs: number; fileMtime: number; maxLines?: number }): RecentLines {
  const all = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const tail = all.slice(-(opts.maxLines ?? LOG_TAIL_LINES));
  const since = opts.now - opts.windowMs;
  const lines: string[] = [];
  let old = 0;
  let upperBound = opts.fileMtime;
  const keep: boolean[] = new Array<boolean>(tail.length);
  for (let n = tail.length - 1; n >= 0; n--) {
    const t = lineTime(tail[n]!);
    if (t !== null) upperBound = t;
    keep[n] = upperBound >= since;
  }
  tail.forEach((line, n) => {
    if (keep[n]) lines.push(line);
    else old++;
  });
  return { lines, looked: tail.length, old };
}

// ---- quoting ----

const SECRETS: Array<[RegExp, string]> = [
  [/\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g, '<jwt>'],
  [/\b(Bearer|Basic)\s+[\w.~+/=-]{8,}/gi, '$1 <redacted>'],
  [/\b(password|passwd|pwd|secret|token|api[_-]?key|authorization)(["']?\s*[=:]\s*["']?)(?!<|Bearer\b|Basic\b)[^\s"',;&]+/gi, '$1$2<redacted>'],
  [/\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g, '<email>'],
  [/\b\d(?:[ -]?\d){12,18}\b/g, '<number>'],
];

/** Masks what must not travel into the history and pages: tokens, passwords, e-mail addresses, card-like numbers. */
export function maskSecrets(text: string): string {
  return SECRETS.reduce((out, [re, by]) => out.replace(re, by), text);
}

function messagesOf(json: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of ['msg', 'message']) if (typeof json[key] === 'string') out.push(json[key] as string);
  for (const key of ['err', 'error']) {
    const e = json[key];
    if (typeof e === 'string') out.push(e);
    else if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') out.push((e as { message: string }).message);
  }
  return out;
}

function trimAround(text: string, at: number, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const start = Math.max(0, Math.min(at - Math.floor(max / 3), flat.length - (max - 2)));
  const cut = flat.slice(start, start + max - 2);
  return `${start > 0 ? '…' : ''}${cut}${start + max - 2 < flat.length ? '…' : ''}`;
}

/**
 * What the evidence quotes of a matching line: for a JSON log line the message that matched (`msg`,
 * `message`, `err.message`), else the line; at most `max` characters around the match, secrets masked.
 */
export function quoteMatch(line: string, regex: RegExp, max = QUOTE_CHARS): string {
  const text = line.trim();
  const json = parseJson(text);
  const source = (json && messagesOf(json).find((m) => regex.test(m.slice(0, MATCH_LINE_CHARS)))) || text.slice(0, MATCH_LINE_CHARS);
  const masked = maskSecrets(source.replace(/\s+/g, ' ').trim());
  const at = Math.max(0, masked.search(regex));
  return trimAround(masked, at, max);
}

// ---- matching ----

/**
 * The signals that reached their `minMatches` among `lines`, each with its count and its latest distinct
 * matching lines quoted (at most QUOTES_PER_SIGNAL per signal and `maxQuotes` in all).
 */
export function matchLogLines(lines: readonly string[], signals: readonly CompiledLogSignal[], maxQuotes = QUOTES_PER_LOG): LogSignalMatch[] {
  const cut = lines.map((l) => l.slice(0, MATCH_LINE_CHARS));
  const out: LogSignalMatch[] = [];
  let quotesLeft = maxQuotes;
  for (const signal of signals) {
    const hits = lines.filter((_, n) => signal.regex.test(cut[n]!));
    if (hits.length === 0 || hits.length < signal.minMatches) continue;
    const quotes: string[] = [];
    for (let n = hits.length - 1; n >= 0 && quotes.length < Math.min(QUOTES_PER_SIGNAL, quotesLeft); n--) {
      const q = quoteMatch(hits[n]!, signal.regex);
      if (!quotes.includes(q)) quotes.push(q);
    }
    quotesLeft -= quotes.length;
    out.push({ signal: signal.name, risk: signal.risk, count: hits.length, lines: quotes });
  }
  return out;
}
