// The cache section refuses a prefix that would reach beyond the service's own keys, and the SCAN
// pattern treats the prefix as a literal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchPatternFor, snapshotFileFor } from '../../cache/redis-snapshot';
import { redisUrlOf } from '../../config/actions/cache';
import { parseConfig } from '../../config/load';

const withCache = (cache: unknown) => () => parseConfig({ services: [{ name: 'api', basePort: 4000, actions: { cache } }] });

test('an empty, blank, `*` or globbing prefix is refused naming the field', () => {
  for (const prefix of ['', '   ', '*', 'api:*', 'api?', 'api[0]', 'a]']) {
    assert.throws(withCache({ prefix }), /actions\.cache\.prefix/, JSON.stringify(prefix));
  }
  assert.throws(withCache({}), /actions\.cache\.prefix is required/);
});

test('defaults: maxKeys 10000, snapshots under .zt/cache-snapshots, Redis from $REDIS_URL else localhost', () => {
  const cfg = withCache({ prefix: 'api:' })().services[0]!.actions.cache!;
  assert.equal(cfg.maxKeys, 10_000);
  assert.equal(cfg.snapshotDir, '.zt/cache-snapshots');
  assert.equal(redisUrlOf(cfg, {}), 'redis://127.0.0.1:6379');
  assert.equal(redisUrlOf(cfg, { REDIS_URL: 'redis://cache:6380/2' }), 'redis://cache:6380/2');
  assert.equal(redisUrlOf({ ...cfg, redisUrl: 'redis://x:1' }, { REDIS_URL: 'redis://y:2' }), 'redis://x:1');
  assert.throws(withCache({ prefix: 'api:', redisUrl: 'http://x' }), /redisUrl/);
});

test('the MATCH pattern is the prefix as a literal followed by *', () => {
  assert.equal(matchPatternFor('api:'), 'api:*');
  assert.equal(matchPatternFor('a\\b-c^d:'), 'a\\\\b\\-c\\^d:*');
});

test('one snapshot file per service and idempotency key', () => {
  const a = snapshotFileFor('/s', 'api', 'inc/attempt-1/flush-cache');
  assert.equal(a, snapshotFileFor('/s', 'api', 'inc/attempt-1/flush-cache'));
  assert.notEqual(a, snapshotFileFor('/s', 'api', 'inc/attempt-2/flush-cache'));
  assert.match(a, /^\/s\/api-[0-9a-f]{20}\.jsonl$/);
});
