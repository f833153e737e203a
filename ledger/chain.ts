// The hash chain, pure: how a row's hash is computed and how a run of rows is checked. Each row's hash
// covers its own content and the previous row's hash, so changing, removing or reordering any row breaks
// the chain at that row (docs/ledger.md). No database here: the unit tests exercise it on plain objects.
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import type { BrokenLink, ChainRow, VerifyResult } from './types';

/** prev_hash of the first row: there is nothing before it. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a row's hash covers besides the previous hash. */
export type HashedFields = Pick<ChainRow, 'seq' | 'recordedAt' | 'kind' | 'key' | 'body'>;

export function hashEntry(prevHash: string, row: HashedFields): string {
  const content = canonicalJson({ seq: row.seq, recorded_at: row.recordedAt, kind: row.kind, key: row.key, body: row.body });
  return createHash('sha256').update(prevHash).update(content).digest('hex');
}

/**
 * Checks rows one at a time in seq order, so a ledger of any size is verified in batches without holding
 * it all in memory. The first problem found is the answer: everything after a break is unanchored.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private checked = 0;

  /** null while the chain holds; the first broken link otherwise. */
  check(row: ChainRow): BrokenLink | null {
    const at = { seq: row.seq, kind: row.kind, key: row.key };
    if (row.seq !== this.expectedSeq) {
      const detail =
        row.seq > this.expectedSeq
          ? `seq ${this.expectedSeq}${row.seq - 1 > this.expectedSeq ? `..${row.seq - 1}` : ''} missing before this row (deleted)`
          : `seq ${row.seq} out of order after seq ${this.expectedSeq - 1}`;
      return { ...at, reason: 'seq-gap', detail };
    }
    if (row.prevHash !== this.prevHash) {
      return { ...at, reason: 'prev-hash-mismatch', detail: `prev_hash ${row.prevHash} is not the hash of the row before it (${this.prevHash})` };
    }
    const expected = hashEntry(row.prevHash, row);
    if (row.hash !== expected) {
      return { ...at, reason: 'hash-mismatch', detail: `stored hash ${row.hash} does not match its content (${expected}): the row was changed` };
    }
    this.expectedSeq = row.seq + 1;
    this.prevHash = row.hash;
    this.checked += 1;
    return null;
  }

  /** Rows checked and found sound so far. */
  get rows(): number {
    return this.checked;
  }

  result(): VerifyResult {
    return { ok: true, rows: this.checked, head: this.checked ? { seq: this.expectedSeq - 1, hash: this.prevHash } : null };
  }
}

export function verifyRows(rows: Iterable<ChainRow>): VerifyResult {
  const verifier = new ChainVerifier();
  for (const row of rows) {
    const broken = verifier.check(row);
    if (broken) return { ok: false, rows: verifier.rows, firstBroken: broken };
  }
  return verifier.result();
}
