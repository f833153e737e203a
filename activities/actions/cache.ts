// The approved action "cache flush, scoped": delete only the keys under the service's configured Redis
// prefix, each snapshotted (DUMP + remaining TTL) and fsynced to a snapshot file before any delete. The
// undo RESTOREs the snapshot without REPLACE, so a key written since the flush keeps its newer value.
//
// Idempotent by key: the snapshot file is named after the idempotency key and ends with a `done` line; a
// re-run finds it and returns the same undo without acting. A run interrupted after its snapshot resumes
// from it (keys already deleted stay recorded; keys still there are snapshotted again, then deleted).
import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { Redis } from 'ioredis';
import {
  connectRedis,
  dumpKeys,
  readSnapshot,
  redactUrl,
  restoreRecords,
  scanPrefix,
  snapshotFileFor,
  SnapshotWriter,
  unlinkIfUnchanged,
  type SnapshotRecord,
} from '../../cache/redis-snapshot';
import { redisUrlOf, type CacheActionConfig } from '../../config/actions/cache';
import { statePath } from '../../config/paths';
import { findService } from '../../config/services';
import type { ActionOutcome, ActionRequest, UndoOutcome, UndoRecipe, UndoRequest } from '../../signals/actions';
import { InvalidRequestError } from '../errors';
import type { ActivityDeps } from '../deps';

const BATCH = 200;
/** A key rewritten between its snapshot and its delete is snapshotted again, at most this many times. */
const ROUNDS = 3;

function cacheConfigOf(deps: ActivityDeps, service: string, what: string): CacheActionConfig {
  const cfg = findService(deps.config, service).actions.cache;
  if (!cfg) throw new InvalidRequestError(`${what} of ${service} refused: the service has no actions.cache section (no Redis prefix it owns)`);
  return cfg;
}

/** Keeps telling Temporal the activity is alive while a Redis or disk call runs long. */
function heartbeating(details: () => unknown): () => void {
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    return () => undefined;
  }
  const timer = setInterval(() => ctx!.heartbeat(details()), 2_000);
  return () => clearInterval(timer);
}

function beat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // outside an activity (a script): nothing to tell
  }
}

function undoFor(service: string, prefix: string, snapshotFile: string, keys: number): UndoRecipe {
  if (keys === 0) return { kind: 'none', why: `no key under "${prefix}" was deleted` };
  return {
    kind: 'restore-cache-keys',
    why: `put back the ${keys} key(s) under "${prefix}" deleted by the flush, from ${snapshotFile}, with their remaining TTL; keys written since the flush keep their newer value`,
    service,
    snapshotFile,
    keys,
  };
}

export async function flushCache(deps: ActivityDeps, req: ActionRequest): Promise<ActionOutcome> {
  const cfg = cacheConfigOf(deps, req.service, 'cache flush');
  const service = req.service;
  const file = snapshotFileFor(statePath(cfg.snapshotDir), service, req.idempotencyKey);

  const previous = await readSnapshot(file);
  if (previous?.header && previous.header.prefix !== cfg.prefix) {
    throw new InvalidRequestError(
      `cache flush of ${service} refused: ${file} was written for prefix "${previous.header.prefix}", the config now says "${cfg.prefix}"`,
    );
  }
  if (previous?.done) {
    const keys = previous.records.size;
    return {
      performed: false,
      summary: `already flushed ${keys} key(s) under "${cfg.prefix}" for ${req.idempotencyKey} (snapshot ${file})`,
      undo: undoFor(service, cfg.prefix, file, keys),
    };
  }

  const url = redisUrlOf(cfg);
  const redis = await connectRedis(url);
  let progress = { idempotencyKey: req.idempotencyKey, snapshotted: previous?.records.size ?? 0, deleted: 0 };
  const stop = heartbeating(() => progress);
  let writer: SnapshotWriter | undefined;
  try {
    const { keys, overLimit } = await scanPrefix(redis, cfg.prefix, cfg.maxKeys, () => beat(progress));
    if (overLimit) {
      throw new InvalidRequestError(
        `cache flush of ${service} refused: more than ${cfg.maxKeys} keys under "${cfg.prefix}" (actions.cache.maxKeys); a flush that large needs a human`,
      );
    }
    writer = await SnapshotWriter.open(file);
    const recorded = new Map<string, SnapshotRecord>(previous?.records ?? []);
    if (!previous?.header) {
      await writer.append([{ type: 'header', version: 1, service, prefix: cfg.prefix, idempotencyKey: req.idempotencyKey, takenAt: Date.now() }]);
    }
    if (keys.length === 0 && recorded.size === 0) {
      await writer.append([{ type: 'done', deleted: 0, leftChanged: 0, at: Date.now() }]);
      await writer.sync();
      return {
        performed: false,
        summary: `nothing to flush: no key under "${cfg.prefix}" in Redis ${redactUrl(url)}`,
        undo: undoFor(service, cfg.prefix, file, 0),
      };
    }

    let deleted = 0;
    let pending = keys;
    for (let round = 1; round <= ROUNDS && pending.length > 0; round++) {
      const changed: Buffer[] = [];
      for (let i = 0; i < pending.length; i += BATCH) {
        const batch = pending.slice(i, i + BATCH);
        // Snapshot first, on disk, then delete: a crash in between leaves a snapshot the re-run resumes from.
        const records = (await dumpKeys(redis, batch)).filter((r): r is SnapshotRecord => r !== undefined);
        await writer.append(records);
        await writer.sync();
        for (const r of records) recorded.set(r.k, r);
        progress = { ...progress, snapshotted: recorded.size };
        const results = await unlinkIfUnchanged(redis, records);
        results.forEach((result, j) => {
          if (result === 'deleted') deleted++;
          else if (result === 'changed') changed.push(Buffer.from(records[j]!.k, 'base64'));
        });
        progress = { ...progress, deleted };
        beat(progress);
      }
      pending = changed;
    }
    await writer.append([{ type: 'done', deleted, leftChanged: pending.length, at: Date.now() }]);
    await writer.sync();

    const resumed = previous?.header ? ` (resumed: ${previous.records.size} key(s) were snapshotted by an interrupted run)` : '';
    const left = pending.length ? `; ${pending.length} key(s) kept being rewritten during the flush and were left in place` : '';
    deps.logger.info({ service, key: req.idempotencyKey, deleted, snapshot: file }, 'cache flushed');
    return {
      performed: true,
      summary: `flushed ${deleted} key(s) under "${cfg.prefix}" in Redis ${redactUrl(url)}, each snapshotted first to ${path.basename(file)}${resumed}${left}`,
      undo: undoFor(service, cfg.prefix, file, recorded.size),
    };
  } finally {
    stop();
    await writer?.close();
    redis.disconnect();
  }
}

interface RestoreProgress {
  idempotencyKey: string;
  next: number;
  restored: number;
  exists: number;
  expired: number;
}

export async function restoreCacheKeys(deps: ActivityDeps, req: UndoRequest): Promise<UndoOutcome> {
  const undo = req.undo;
  if (undo.kind !== 'restore-cache-keys') {
    throw new InvalidRequestError(`restoreCacheKeys cannot undo a "${undo.kind}" recipe`);
  }
  if (undo.service !== req.service) {
    throw new InvalidRequestError(`cache restore refused: the recipe is for ${undo.service}, the request for ${req.service}`);
  }
  const cfg = cacheConfigOf(deps, req.service, 'cache restore');
  const dir = statePath(cfg.snapshotDir);
  const file = path.resolve(undo.snapshotFile);
  if (path.dirname(file) !== dir) {
    throw new InvalidRequestError(`cache restore of ${req.service} refused: ${undo.snapshotFile} is not in the snapshot directory ${dir}`);
  }
  const snapshot = await readSnapshot(file);
  if (!snapshot?.header) throw new InvalidRequestError(`cache restore of ${req.service} refused: snapshot ${file} is missing or empty`);
  if (snapshot.header.service !== req.service) {
    throw new InvalidRequestError(`cache restore refused: snapshot ${file} belongs to ${snapshot.header.service}, not ${req.service}`);
  }
  const marker = `${file}.restored.json`;
  const already = await readMarker(marker, req.idempotencyKey);
  if (already) return { performed: false, summary: `already restored for ${req.idempotencyKey}: ${already}` };

  // Every key must still be under the prefix the snapshot was taken for (a hand-edited file cannot reach other keys).
  const prefix = Buffer.from(snapshot.header.prefix);
  const records = [...snapshot.records.values()].filter((r) => Buffer.from(r.k, 'base64').subarray(0, prefix.length).equals(prefix));
  const foreign = snapshot.records.size - records.length;

  const ctx = safeContext();
  const prev = ctx?.info.heartbeatDetails as RestoreProgress | undefined;
  let progress: RestoreProgress =
    prev?.idempotencyKey === req.idempotencyKey ? prev : { idempotencyKey: req.idempotencyKey, next: 0, restored: 0, exists: 0, expired: 0 };

  const url = redisUrlOf(cfg);
  const redis: Redis = await connectRedis(url);
  const stop = heartbeating(() => progress);
  try {
    for (let i = progress.next; i < records.length; i += BATCH) {
      const results = await restoreRecords(redis, records.slice(i, i + BATCH));
      progress = {
        ...progress,
        next: i + BATCH,
        restored: progress.restored + results.filter((r) => r === 'restored').length,
        exists: progress.exists + results.filter((r) => r === 'exists').length,
        expired: progress.expired + results.filter((r) => r === 'expired').length,
      };
      beat(progress);
    }
  } finally {
    stop();
    redis.disconnect();
  }
  const parts = [`restored ${progress.restored} of ${records.length} key(s) under "${snapshot.header.prefix}" with their remaining TTL`];
  if (progress.exists) parts.push(`${progress.exists} left alone: written again since the flush (the newer value wins)`);
  if (progress.expired) parts.push(`${progress.expired} not restored: their TTL ran out meanwhile`);
  if (foreign) parts.push(`${foreign} record(s) outside the prefix ignored`);
  const summary = parts.join('; ');
  await writeMarker(marker, req.idempotencyKey, summary);
  deps.logger.info({ service: req.service, key: req.idempotencyKey, ...progress }, 'cache keys restored');
  return { performed: progress.restored > 0, summary };
}

function safeContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

async function readMarker(file: string, idempotencyKey: string): Promise<string | undefined> {
  try {
    const m = JSON.parse(await readFile(file, 'utf8')) as { idempotencyKey: string; summary: string };
    return m.idempotencyKey === idempotencyKey ? m.summary : undefined;
  } catch {
    return undefined;
  }
}

async function writeMarker(file: string, idempotencyKey: string, summary: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify({ idempotencyKey, summary, at: Date.now() }));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}
