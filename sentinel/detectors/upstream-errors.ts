// The second kind of evidence of an upstream failure: the service's own error log lines naming the upstream
// ("upstream translator (http://10.0.0.7:8080) failed: connect ECONNREFUSED 10.0.0.7:8080"). Which lines
// count (the patterns, with their defaults) and how many of them fell within the recent window.
import type { DetectorsConfig } from '../../config/schema';

type Upstream = NonNullable<DetectorsConfig['upstreams']>[number];

/** How many matching lines one upstream remembers at most: enough to count past any sensible threshold. */
export const MAX_TRACKED_LINES = 10_000;
/** How much of the latest matching line a summary quotes. */
export const QUOTE_CHARS = 200;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The text as a whole word: not inside a longer name, where hyphens count as part of the name
 * (`payments` does not match `payments-db`), but followed by punctuation it may be (`payments:`).
 */
function wholeWord(text: string): string {
  return `(?<![\\w-])${escapeRegExp(text)}(?![\\w-])`;
}

/**
 * The patterns an upstream is recognised by in error lines: the configured ones, else its name as a whole
 * word and, when it has a URL, that URL's host[:port] (what connection errors quote).
 */
export function errorPatternSources(u: Pick<Upstream, 'name' | 'url' | 'errorPatterns'>): string[] {
  if (u.errorPatterns?.length) return u.errorPatterns;
  const sources = [wholeWord(u.name)];
  if (u.url) sources.push(`(?<![\\w.-])${escapeRegExp(new URL(u.url).host)}(?![\\w-])`);
  return sources;
}

export function errorPatterns(u: Pick<Upstream, 'name' | 'url' | 'errorPatterns'>): RegExp[] {
  return errorPatternSources(u).map((source) => new RegExp(source, 'i'));
}

/** The non-blank lines of a stderr chunk (a chunk may hold several lines, or one without its newline). */
export function logLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '');
}

/**
 * What a summary quotes of a line: the message of a structured (JSON) log line, else the line itself,
 * trimmed to `max` characters.
 */
export function quoteLine(line: string, max = QUOTE_CHARS): string {
  let text = line.trim();
  if (text.startsWith('{')) {
    try {
      const entry = JSON.parse(text) as Record<string, unknown>;
      const message = typeof entry.msg === 'string' ? entry.msg : typeof entry.message === 'string' ? entry.message : null;
      if (message) text = message.trim();
    } catch {
      // not JSON after all: quote it as it is
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The matching error lines of one upstream within a sliding window of `windowMs`. */
export class UpstreamErrorWindow {
  private readonly times: number[] = [];
  private latestLine: { line: string; at: number } | null = null;

  constructor(
    private readonly patterns: RegExp[],
    readonly windowMs: number,
  ) {}

  /** Records the line when it names this upstream; returns whether it did. */
  offer(line: string, at: number): boolean {
    if (!this.patterns.some((p) => p.test(line))) return false;
    this.times.push(at);
    if (this.times.length > MAX_TRACKED_LINES) this.times.shift();
    this.latestLine = { line, at };
    return true;
  }

  /** How many matching lines arrived within the window ending at `now`. */
  count(now: number): number {
    while (this.times.length && this.times[0]! <= now - this.windowMs) this.times.shift();
    return this.times.length;
  }

  /** The most recent matching line still within the window, if any. */
  latest(now: number): { line: string; at: number } | null {
    return this.latestLine && this.latestLine.at > now - this.windowMs ? this.latestLine : null;
  }
}
