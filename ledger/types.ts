// The ledger's data contract: what may be appended (validated with zod where it comes in), what a row
// looks like once read back, and what verification answers.
import { z } from 'zod';
import type { JsonValue } from './canonical-json';

/** The kinds recorded today; the column accepts any lowercase kebab name so a new kind needs no migration. */
export const LEDGER_KINDS = ['incident-report', 'notification', 'drill', 'human-resolution'] as const;
export type KnownLedgerKind = (typeof LEDGER_KINDS)[number];

export const ledgerKindSchema = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be 1-63 lowercase letters, digits or "-", starting with a letter');

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Strings jsonb cannot store (NUL) or cannot round-trip (lone surrogates): refused here, not by a retried insert. */
function storableStrings(value: unknown, path: string[] = []): string | null {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return `${path.join('.') || '(body)'}: contains a NUL character`;
    if (LONE_SURROGATE.test(value)) return `${path.join('.') || '(body)'}: contains a lone UTF-16 surrogate`;
    return null;
  }
  if (value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value)) {
    const problem = storableStrings(k, path) ?? storableStrings(v, [...path, k]);
    if (problem) return problem;
  }
  return null;
}

/** Bodies are small facts (a report, a notice), not logs: a bound keeps one bad caller from bloating the chain. */
export const MAX_BODY_BYTES = 256 * 1024;

export const newEntrySchema = z.object({
  kind: ledgerKindSchema,
  /** Unique per kind: appending the same kind + key again returns the row already there (retried activities). */
  key: z.string().trim().min(1).max(500),
  body: z
    .record(z.string(), z.unknown())
    .superRefine((body, ctx) => {
      const problem = storableStrings(body);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
      const bytes = Buffer.byteLength(JSON.stringify(body));
      if (bytes > MAX_BODY_BYTES) ctx.addIssue({ code: 'custom', message: `is ${bytes} bytes, more than ${MAX_BODY_BYTES}` });
    }),
});

export type NewEntry = z.input<typeof newEntrySchema>;

/** A ledger row as read back. seq is a JS number: 2^53 rows is more than any ledger will hold. */
export interface LedgerEntry {
  seq: number;
  /** ISO 8601 with milliseconds, exactly as hashed. */
  recordedAt: string;
  kind: string;
  key: string;
  body: JsonValue;
  prevHash: string;
  hash: string;
}

export type ChainRow = LedgerEntry;

export interface AppendResult {
  entry: LedgerEntry;
  /** false when kind + key was already recorded: the existing row is returned and nothing is written. */
  created: boolean;
}

export type BrokenReason = 'seq-gap' | 'prev-hash-mismatch' | 'hash-mismatch';

export interface BrokenLink {
  seq: number;
  kind: string;
  key: string;
  reason: BrokenReason;
  detail: string;
}

export type VerifyResult =
  /** head: the newest row's seq and hash, to keep elsewhere: rows removed from the end leave no gap. */
  | { ok: true; rows: number; head: { seq: number; hash: string } | null }
  /** rows: how many rows before the break were sound. */
  | { ok: false; rows: number; firstBroken: BrokenLink };
