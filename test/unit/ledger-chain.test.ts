// The ledger's hash chain on plain rows: canonical JSON does not depend on key order (jsonb reorders
// keys), the hash is exactly sha256(prev_hash + canonical {seq, recorded_at, kind, key, body}), and
// verification names the first row that was changed, removed or re-hashed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { canonicalJson, jsonRoundTrip } from '../../ledger/canonical-json';
import { GENESIS_HASH, hashEntry, verifyRows } from '../../ledger/chain';
import type { ChainRow } from '../../ledger/types';

test('canonical JSON sorts keys at every level and keeps array order', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, 1, { z: 0, y: null }], c: 'x' } }), '{"a":{"c":"x","d":[3,1,{"y":null,"z":0}]},"b":1}');
  assert.equal(canonicalJson({ b: 1, a: 2 }), canonicalJson({ a: 2, b: 1 }));
  // jsonb's own order (shorter keys first) hashes the same as the caller's.
  assert.equal(canonicalJson({ service: 's', id: 1, at: 't' }), canonicalJson({ at: 't', id: 1, service: 's' }));
});

test('canonical JSON: strings escaped as JSON, undefined members dropped, no whitespace', () => {
  assert.equal(canonicalJson({ s: 'a"b\n\u00e9', u: undefined, n: null }), '{"n":null,"s":"a\\"b\\n\u00e9"}');
  assert.equal(canonicalJson([undefined, 1]), '[null,1]');
  assert.equal(canonicalJson('x'), '"x"');
  assert.equal(canonicalJson(1.5), '1.5');
  assert.equal(canonicalJson(new Date('2026-01-02T03:04:05.678Z')), '"2026-01-02T03:04:05.678Z"');
  assert.throws(() => canonicalJson(undefined), /no JSON form/);
  // Keys sort by code unit, not locale: "B" (0x42) before "a" (0x61).
  assert.equal(canonicalJson({ a: 1, B: 2 }), '{"B":2,"a":1}');
});

test('the JSON round trip is what a jsonb column gives back', () => {
  assert.deepEqual(jsonRoundTrip({ a: undefined, n: Number.NaN, d: new Date(0), i: Infinity }), { n: null, d: '1970-01-01T00:00:00.000Z', i: null });
});

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

function chain(count: number): ChainRow[] {
  const rows: ChainRow[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const fields = { seq, recordedAt: new Date(T0 + seq * 1000).toISOString(), kind: seq % 2 ? 'incident-report' : 'notification', key: `INC-${seq}`, body: { n: seq, nested: { b: [seq], a: 'x' } } };
    const hash = hashEntry(prevHash, fields);
    rows.push({ ...fields, prevHash, hash });
    prevHash = hash;
  }
  return rows;
}

test('hash = sha256(prev_hash + canonical {seq, recorded_at, kind, key, body})', () => {
  const row = { seq: 1, recordedAt: '2026-03-01T10:00:00.000Z', kind: 'drill', key: 'd-1', body: { z: 1, a: 2 } };
  const expected = createHash('sha256')
    .update(GENESIS_HASH + '{"body":{"a":2,"z":1},"key":"d-1","kind":"drill","recorded_at":"2026-03-01T10:00:00.000Z","seq":1}')
    .digest('hex');
  assert.equal(hashEntry(GENESIS_HASH, row), expected);
  assert.equal(hashEntry(GENESIS_HASH, { ...row, body: { a: 2, z: 1 } }), expected, 'key order does not matter');
  assert.notEqual(hashEntry('1'.repeat(64), row), expected, 'the previous hash is covered');
  assert.notEqual(hashEntry(GENESIS_HASH, { ...row, recordedAt: '2026-03-01T10:00:00.001Z' }), expected, 'the time is covered');
  assert.notEqual(hashEntry(GENESIS_HASH, { ...row, seq: 2 }), expected, 'the position is covered');
});

test('an intact chain verifies and reports its head', () => {
  const rows = chain(5);
  assert.deepEqual(verifyRows(rows), { ok: true, rows: 5, head: { seq: 5, hash: rows[4]!.hash } });
  assert.deepEqual(verifyRows([]), { ok: true, rows: 0, head: null });
});

test('a changed body is named at its own row as a hash mismatch', () => {
  const rows = chain(5);
  rows[2] = { ...rows[2]!, body: { n: 999, nested: { a: 'x', b: [3] } } };
  const result = verifyRows(rows);
  assert.equal(result.ok, false);
  assert.ok(!result.ok);
  assert.deepEqual({ ...result.firstBroken, detail: undefined }, { seq: 3, kind: 'incident-report', key: 'INC-3', reason: 'hash-mismatch', detail: undefined });
  assert.equal(result.rows, 2);
  assert.match(result.firstBroken.detail, /changed/);
});

test('a changed time, kind or key is a hash mismatch too', () => {
  for (const change of [{ recordedAt: '2020-01-01T00:00:00.000Z' }, { kind: 'drill' }, { key: 'INC-other' }]) {
    const rows = chain(3);
    rows[1] = { ...rows[1]!, ...change };
    const result = verifyRows(rows);
    assert.ok(!result.ok && result.firstBroken.seq === 2 && result.firstBroken.reason === 'hash-mismatch', JSON.stringify(change));
  }
});

test('a deleted middle row is a seq gap named at the row after it', () => {
  const rows = chain(5);
  rows.splice(2, 1);
  const result = verifyRows(rows);
  assert.ok(!result.ok);
  assert.equal(result.firstBroken.seq, 4);
  assert.equal(result.firstBroken.reason, 'seq-gap');
  assert.match(result.firstBroken.detail, /seq 3 missing/);
  const two = chain(6);
  two.splice(1, 2);
  const r2 = verifyRows(two);
  assert.ok(!r2.ok);
  assert.match(r2.firstBroken.detail, /seq 2\.\.3 missing/);
});

test('a deleted first row is a gap at seq 2', () => {
  const result = verifyRows(chain(3).slice(1));
  assert.ok(!result.ok && result.firstBroken.seq === 2 && result.firstBroken.reason === 'seq-gap');
});

test('a row changed and re-hashed breaks the next row’s link', () => {
  const rows = chain(4);
  const forged = { ...rows[1]!, body: { forged: true } };
  forged.hash = hashEntry(forged.prevHash, forged);
  rows[1] = forged;
  const result = verifyRows(rows);
  assert.ok(!result.ok);
  assert.deepEqual([result.firstBroken.seq, result.firstBroken.reason], [3, 'prev-hash-mismatch']);
});

test('a deleted row with the rest renumbered and re-linked breaks at the re-linked row', () => {
  const rows = chain(4);
  // Row 3 deleted, row 4 renumbered to 3 but keeping its old prev_hash and hash.
  const moved = { ...rows[3]!, seq: 3 };
  const result = verifyRows([rows[0]!, rows[1]!, moved]);
  assert.ok(!result.ok);
  assert.deepEqual([result.firstBroken.seq, result.firstBroken.reason], [3, 'prev-hash-mismatch']);
});

test('a first row that does not start from the genesis hash is refused', () => {
  const [first] = chain(1);
  const result = verifyRows([{ ...first!, prevHash: 'f'.repeat(64) }]);
  assert.ok(!result.ok && result.firstBroken.reason === 'prev-hash-mismatch' && result.firstBroken.seq === 1);
});
