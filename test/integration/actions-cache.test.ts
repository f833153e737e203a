// The scoped cache flush and its undo against the real Redis: only keys under the service's prefix go
// (a neighbour's keys survive), each is snapshotted to disk first, a re-run with the same idempotency key
// does not flush again, and the undo restores the keys with their TTL but never overwrites a key written
// since the flush.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Redis } from 'ioredis';
import { flushCache, restoreCacheKeys } from '../../activities/actions/cache';
import type { ActivityDeps } from '../../activities/deps';
import { InvalidRequestError } from '../../activities/errors';
import { parseConfig } from '../../config/load';
import { createLogger } from '../../observability/logger';
import type { Pm2Client } from '../../pm2/client';
import type { ActionOutcome, ActionRequest, UndoOutcome, UndoRequest } from '../../signals/actions';
import { testRedis, TEST_REDIS_URL } from '../helpers/redis';

const SERVICE = 'localize-api';

function depsFor(cache: Record<string, unknown>, snapshotDir: string): ActivityDeps {
  const config = parseConfig({
    services: [{ name: SERVICE, basePort: 41000, actions: { cache: { redisUrl: TEST_REDIS_URL, snapshotDir, ...cache } } }],
  });
  // The cache flush never talks to PM2; it needs only the config and Redis.
  return { config, pm2: {} as Pm2Client, logger: createLogger('test') };
}

function request(key: string): ActionRequest {
  return { service: SERVICE, incidentId: 'incident-cache', idempotencyKey: key, pmIds: [], maxOutOfService: 1 };
}

// Refusals are expected here; the SDK's own log of a failed activity would only be noise.
const run = <T>(fn: () => Promise<T>): Promise<T> => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn);

describe('flush-cache on the real Redis', async () => {
  let redis: Redis;
  let dir: string;
  const used: string[] = [];
  const unique = (name: string) => {
    const p = `zt-test-${randomBytes(4).toString('hex')}-${name}:`;
    used.push(p);
    return p;
  };

  before(async () => {
    redis = await testRedis();
    dir = await mkdtemp(path.join(os.tmpdir(), 'zt-cache-'));
  });
  after(async () => {
    if (!redis) return;
    for (const p of used) {
      const keys = await redis.keys(`${p}*`); // test clean-up of our own unique prefixes only
      if (keys.length) await redis.del(...keys);
    }
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  test('flush → only the prefix is gone, snapshot on disk; re-run does nothing; undo restores with TTL, never over a newer write', async () => {
    const prefix = unique('svc');
    const neighbour = unique('other');
    await redis.set(`${prefix}plain`, 'poisoned-1');
    await redis.set(`${prefix}ttl`, 'poisoned-2', 'PX', 60_000);
    await redis.hset(`${prefix}hash`, { a: '1', b: '2' });
    await redis.rpush(`${prefix}list`, 'x', 'y', 'z');
    await redis.set(`${prefix}rewritten`, 'old');
    await redis.set(`${neighbour}keep`, 'not mine');
    // A key whose name merely starts like the prefix without it (no trailing colon) is not under it.
    await redis.set(prefix.slice(0, -1), 'look-alike');
    used.push(prefix.slice(0, -1));
    const binaryKey = Buffer.concat([Buffer.from(prefix), Buffer.from([0xff, 0x00, 0xfe])]);
    await redis.set(binaryKey, Buffer.from([1, 2, 3]));

    const deps = depsFor({ prefix }, dir);
    const first = await run(() => flushCache(deps, request('incident-cache/attempt-1/flush-cache')));
    assert.equal(first.performed, true, first.summary);
    assert.match(first.summary, /flushed 6 key\(s\)/);
    assert.equal(first.undo.kind, 'restore-cache-keys');
    if (first.undo.kind !== 'restore-cache-keys') return;
    assert.equal(first.undo.keys, 6);

    assert.equal(await redis.exists(`${prefix}plain`, `${prefix}ttl`, `${prefix}hash`, `${prefix}list`, `${prefix}rewritten`, binaryKey), 0);
    assert.equal(await redis.get(`${neighbour}keep`), 'not mine', 'a key outside the prefix survives');
    assert.equal(await redis.get(prefix.slice(0, -1)), 'look-alike', 'a look-alike key outside the prefix survives');

    const lines = (await readFile(first.undo.snapshotFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines[0].type, 'header');
    assert.equal(lines.filter((l) => l.type === 'key').length, 6);
    assert.equal(lines.at(-1).type, 'done');

    // The same idempotency key again: nothing flushed, the same undo. A key written meanwhile stays.
    await redis.set(`${prefix}rewritten`, 'newer');
    const again = await run(() => flushCache(deps, request('incident-cache/attempt-1/flush-cache')));
    assert.equal(again.performed, false, again.summary);
    assert.deepEqual(again.undo, first.undo);
    assert.equal(await redis.get(`${prefix}rewritten`), 'newer', 'the re-run deleted nothing');

    await new Promise((r) => setTimeout(r, 300));
    const undoReq: UndoRequest = { service: SERVICE, incidentId: 'incident-cache', idempotencyKey: 'incident-cache/attempt-1/flush-cache/undo', undo: first.undo };
    const undone = await run<UndoOutcome>(() => restoreCacheKeys(deps, undoReq));
    assert.equal(undone.performed, true, undone.summary);
    assert.match(undone.summary, /restored 5 of 6/);
    assert.match(undone.summary, /1 left alone/);

    assert.equal(await redis.get(`${prefix}plain`), 'poisoned-1');
    assert.equal(await redis.pttl(`${prefix}plain`), -1, 'no TTL stays no TTL');
    const ttl = await redis.pttl(`${prefix}ttl`);
    assert.ok(ttl > 50_000 && ttl <= 59_700, `the remaining TTL is restored approximately (${ttl} ms)`);
    assert.deepEqual(await redis.hgetall(`${prefix}hash`), { a: '1', b: '2' });
    assert.deepEqual(await redis.lrange(`${prefix}list`, 0, -1), ['x', 'y', 'z']);
    assert.deepEqual(await redis.getBuffer(binaryKey), Buffer.from([1, 2, 3]));
    assert.equal(await redis.get(`${prefix}rewritten`), 'newer', 'a key written after the flush is not overwritten by the undo');

    const undoneAgain = await run<UndoOutcome>(() => restoreCacheKeys(deps, undoReq));
    assert.equal(undoneAgain.performed, false);
    assert.match(undoneAgain.summary, /already restored/);
  });

  test('a key whose TTL ran out before the undo stays gone', async () => {
    const prefix = unique('ttl');
    await redis.set(`${prefix}short`, 'v', 'PX', 400);
    const deps = depsFor({ prefix }, dir);
    const flushed = await run<ActionOutcome>(() => flushCache(deps, request('incident-cache/attempt-1/ttl')));
    assert.equal(flushed.performed, true);
    await new Promise((r) => setTimeout(r, 600));
    const undone = await run<UndoOutcome>(() =>
      restoreCacheKeys(deps, { service: SERVICE, incidentId: 'incident-cache', idempotencyKey: 'ttl/undo', undo: flushed.undo }),
    );
    assert.match(undone.summary, /1 not restored: their TTL ran out/);
    assert.equal(await redis.exists(`${prefix}short`), 0);
  });

  test('more keys than maxKeys: refused before anything is deleted', async () => {
    const prefix = unique('big');
    for (let i = 0; i < 12; i++) await redis.set(`${prefix}${i}`, String(i));
    const deps = depsFor({ prefix, maxKeys: 10 }, dir);
    await assert.rejects(
      run(() => flushCache(deps, request('incident-cache/attempt-1/big'))),
      (err: Error) => err instanceof InvalidRequestError && /more than 10 keys/.test(err.message) && /maxKeys/.test(err.message),
    );
    assert.equal((await redis.keys(`${prefix}*`)).length, 12, 'nothing was deleted');
  });

  test('nothing under the prefix: not performed, nothing to undo', async () => {
    const prefix = unique('empty');
    const outcome = await run(() => flushCache(depsFor({ prefix }, dir), request('incident-cache/attempt-1/empty')));
    assert.equal(outcome.performed, false);
    assert.equal(outcome.undo.kind, 'none');
  });

  test('an undo recipe pointing outside the snapshot directory is refused', async () => {
    const deps = depsFor({ prefix: unique('x') }, dir);
    await assert.rejects(
      run(() =>
        restoreCacheKeys(deps, {
          service: SERVICE,
          incidentId: 'i',
          idempotencyKey: 'k/undo',
          undo: { kind: 'restore-cache-keys', why: '', service: SERVICE, snapshotFile: '/etc/passwd', keys: 1 },
        }),
      ),
      (err: Error) => err instanceof InvalidRequestError && /not in the snapshot directory/.test(err.message),
    );
  });
});
