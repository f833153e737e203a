// The reliability drill's fuzzed webhook bodies: the same seed gives the same bodies, case by case and
// independently of the cases before; every kind and route comes up; nothing names a configured service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCase, fuzzCase, FUZZ_KINDS, HOOK_ROUTES, UNKNOWN_SERVICES, validPayload } from '../../drills/reliability/fuzz-bodies';
import { mulberry32, picker, streamFor } from '../../drills/reliability/prng';

test('the PRNG is deterministic per seed and differs between seeds', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const c = mulberry32(43);
  const xs = Array.from({ length: 5 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c()));
  for (const x of xs) assert.ok(x >= 0 && x < 1);
  assert.notEqual(streamFor(1, 0)(), streamFor(1, 1)());
});

test('a case is the same whether made alone or after all the cases before it', () => {
  const seed = 123_456_789;
  const inOrder = Array.from({ length: 300 }, (_, i) => fuzzCase(seed, i));
  for (const i of [0, 7, 150, 299]) {
    const alone = fuzzCase(seed, i);
    assert.equal(alone.kind, inOrder[i]!.kind);
    assert.equal(alone.route, inOrder[i]!.route);
    assert.equal(alone.contentType, inOrder[i]!.contentType);
    assert.ok(alone.body.equals(inOrder[i]!.body), `case ${i} differs when made alone`);
  }
  const other = Array.from({ length: 300 }, (_, i) => fuzzCase(seed + 1, i));
  assert.ok(other.some((c, i) => !c.body.equals(inOrder[i]!.body)), 'another seed gives other bodies');
});

test('2,000 cases cover every kind and route, and never name a configured-looking known service', () => {
  const kinds = new Set<string>();
  const routes = new Set<string>();
  for (let i = 0; i < 2_000; i++) {
    const c = fuzzCase(7, i);
    kinds.add(c.kind);
    routes.add(c.route);
    assert.ok(!c.body.toString('utf8').includes('fuzz-known-'), `case ${i} names the drill's configured service`);
  }
  assert.deepEqual([...kinds].sort(), [...FUZZ_KINDS].sort());
  assert.deepEqual([...routes].sort(), [...HOOK_ROUTES].sort());
});

test('the valid payloads are valid in shape and carry the service they were given', () => {
  const p = picker(mulberry32(1));
  for (const route of HOOK_ROUTES) {
    const body = validPayload(p, route, UNKNOWN_SERVICES[0]!);
    assert.ok(JSON.stringify(body).includes(`"${UNKNOWN_SERVICES[0]}"`));
    if (route === '/hooks/alertmanager') assert.equal(body.version, '4');
    if (route === '/hooks/grafana') assert.equal(body.version, '1');
  }
});

test('describeCase keeps a short preview and the index to reproduce it', () => {
  const c = fuzzCase(99, 5);
  const d = describeCase({ ...c, body: Buffer.from('x'.repeat(1000)) }, 10);
  assert.equal(d.index, 5);
  assert.equal(d.bytes, 1000);
  assert.equal(d.preview, `${'x'.repeat(10)}…`);
});
