// Recording a fact in the audit ledger (incident reports, notifications, drills, human resolutions).
// Idempotent by kind + key, so a retried activity never records twice. A database that is down or
// restarting gives a plain (retryable) error: the activity retries until the ledger is back. An entry
// that can never be stored is refused with InvalidRequestError, which the workflow lists as terminal.
import { formatZodError } from '../config/load';
import { canonicalJson, jsonRoundTrip } from '../ledger/canonical-json';
import { LedgerValidationError } from '../ledger/ledger';
import { newEntrySchema, type NewEntry } from '../ledger/types';
import type { ActivityDeps } from './deps';
import { InvalidRequestError } from './errors';

export type LedgerEntryInput = NewEntry;

export interface RecordedEntry {
  seq: number;
  hash: string;
  recordedAt: string;
  /** false: this kind + key was already recorded (a retry) and nothing was written. */
  created: boolean;
}

export async function recordInLedger({ ledger, logger }: ActivityDeps, entry: LedgerEntryInput): Promise<RecordedEntry> {
  const parsed = newEntrySchema.safeParse(entry);
  if (!parsed.success) throw new InvalidRequestError(`invalid ledger entry: ${formatZodError(parsed.error)}`);
  // Retryable on purpose: the entry waits in Temporal until a worker that has the ledger picks it up.
  if (!ledger) throw new Error('this worker has no audit ledger (ActivityDeps.ledger is unset)');
  let result;
  try {
    result = await ledger.append(parsed.data);
  } catch (err) {
    throw classify(err);
  }
  const { entry: row, created } = result;
  if (!created && canonicalJson(row.body) !== canonicalJson(jsonRoundTrip(parsed.data.body))) {
    // Same key, different content: the first record stands (the ledger never changes a row); say so.
    logger.warn({ kind: row.kind, key: row.key, seq: row.seq }, `ledger already holds ${row.kind} ${row.key} with a different body; kept the recorded one`);
  }
  return { seq: row.seq, hash: row.hash, recordedAt: row.recordedAt, created };
}

/** Bound to the worker's deps, for createActivities. */
export function ledgerActivities(deps: ActivityDeps) {
  return { recordInLedger: (entry: LedgerEntryInput) => recordInLedger(deps, entry) };
}

/**
 * Data the database refuses (SQLSTATE class 22, data exception, or 23, integrity, except a unique
 * violation a retry resolves) will be refused again: terminal. Everything else — refused connections,
 * dropped sockets, shutdowns, timeouts — passes through as the plain, retryable error it is.
 */
function classify(err: unknown): unknown {
  if (err instanceof LedgerValidationError) return new InvalidRequestError(err.message);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code) && code !== '23505') {
    return new InvalidRequestError(`the ledger database refused the entry (${code}): ${(err as Error).message}`);
  }
  return err;
}
