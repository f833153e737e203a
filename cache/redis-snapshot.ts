// Snapshots of Redis keys for the scoped cache flush: each key's DUMP payload and remaining TTL, as JSON
// lines with base64 payloads, written and fsynced before anything is deleted. The same file is the
// flush's idempotency record (a final `done` line) and the undo's input.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';

export interface SnapshotHeader {
  type: 'header';
  version: 1;
  service: string;
  prefix: string;
  idempotencyKey: string;
  takenAt: number;
}

/** One key as it was just before it was deleted. `pttl` -1: no expiry. */
export interface SnapshotRecord {
  type: 'key';
  /** The key, base64 (keys may be binary). */
  k: string;
  /** The DUMP payload, base64. */
  v: string;
  pttl: number;
  /** ms since epoch when the payload and TTL were read. */
  at: number;
}

export interface SnapshotDone {
  type: 'done';
  deleted: number;
  /** Keys that kept changing between snapshot and delete and were left in place. */
  leftChanged: number;
  at: number;
}

export type SnapshotLine = SnapshotHeader | SnapshotRecord | SnapshotDone;

export interface Snapshot {
  header?: SnapshotHeader;
  /** The last record of each key (a key re-snapshotted because it changed keeps its newest value). */
  records: Map<string, SnapshotRecord>;
  done?: SnapshotDone;
}

/** The snapshot file of one flush: named by service and idempotency key, so a re-run finds it. */
export function snapshotFileFor(dir: string, service: string, idempotencyKey: string): string {
  const hash = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 20);
  return path.join(dir, `${service.replace(/[^A-Za-z0-9_.-]/g, '_')}-${hash}.jsonl`);
}

export async function readSnapshot(file: string): Promise<Snapshot | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const snapshot: Snapshot = { records: new Map() };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let parsed: SnapshotLine;
    try {
      parsed = JSON.parse(line) as SnapshotLine;
    } catch {
      continue; // a torn last line after a crash: the lines before it were fsynced, it was not
    }
    if (parsed.type === 'header') snapshot.header = parsed;
    else if (parsed.type === 'key') snapshot.records.set(parsed.k, parsed);
    else if (parsed.type === 'done') snapshot.done = parsed;
  }
  return snapshot;
}

/** An append-only snapshot file; `sync` returns once everything written so far is on disk. */
export class SnapshotWriter {
  private constructor(private readonly fh: Awaited<ReturnType<typeof open>>) {}

  static async open(file: string): Promise<SnapshotWriter> {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const fh = await open(file, 'a', 0o600);
    return new SnapshotWriter(fh);
  }

  async append(lines: SnapshotLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.fh.appendFile(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  }

  async sync(): Promise<void> {
    await this.fh.sync();
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** `prefix` as a literal in a SCAN MATCH pattern, followed by `*`. */
export function matchPatternFor(prefix: string): string {
  return prefix.replace(/[\\*?[\]^-]/g, (c) => `\\${c}`) + '*';
}

/** A client that fails fast: an unreachable Redis is an error for this attempt, not an endless retry. */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // surfaced by the failing command instead
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`Redis at ${redactUrl(url)} is unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  return redis;
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** Every key under `prefix`, by SCAN (never KEYS); stops early once more than `limit` are seen. */
export async function scanPrefix(redis: Redis, prefix: string, limit: number, onBatch?: () => void): Promise<{ keys: Buffer[]; overLimit: boolean }> {
  const pattern = matchPatternFor(prefix);
  const want = Buffer.from(prefix);
  const seen = new Map<string, Buffer>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next.toString();
    for (const key of batch) {
      // SCAN may return a key twice; and the pattern is belt, this check is braces.
      if (key.subarray(0, want.length).equals(want)) seen.set(key.toString('base64'), key);
    }
    onBatch?.();
    if (seen.size > limit) return { keys: [...seen.values()], overLimit: true };
  } while (cursor !== '0');
  return { keys: [...seen.values()], overLimit: false };
}

/** DUMP + PTTL of each key (undefined: gone meanwhile). */
export async function dumpKeys(redis: Redis, keys: Buffer[]): Promise<Array<SnapshotRecord | undefined>> {
  const pipeline = redis.pipeline();
  for (const key of keys) {
    pipeline.dumpBuffer(key);
    pipeline.pttl(key);
  }
  const replies = (await pipeline.exec()) ?? [];
  const at = Date.now();
  return keys.map((key, i) => {
    const [dumpErr, payload] = replies[2 * i] ?? [];
    const [ttlErr, pttl] = replies[2 * i + 1] ?? [];
    if (dumpErr) throw dumpErr;
    if (ttlErr) throw ttlErr;
    if (payload === null || payload === undefined || (pttl as number) === -2) return undefined;
    return { type: 'key', k: key.toString('base64'), v: (payload as Buffer).toString('base64'), pttl: pttl as number, at };
  });
}

// Deletes a key only if it still holds the value that was snapshotted: a write that lands between the
// snapshot and the delete is never lost unsnapshotted. 1 deleted, 0 gone already, -1 changed.
const UNLINK_IF_SAME = `
local current = redis.call('DUMP', KEYS[1])
if not current then return 0 end
if current ~= ARGV[1] then return -1 end
redis.call('UNLINK', KEYS[1])
return 1
`;

export type DeleteResult = 'deleted' | 'gone' | 'changed';

export async function unlinkIfUnchanged(redis: Redis, records: SnapshotRecord[]): Promise<DeleteResult[]> {
  if (records.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const r of records) pipeline.eval(UNLINK_IF_SAME, 1, Buffer.from(r.k, 'base64'), Buffer.from(r.v, 'base64'));
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([err, n]) => {
    if (err) throw err;
    return n === 1 ? 'deleted' : n === 0 ? 'gone' : 'changed';
  });
}

export type RestoreResult = 'restored' | 'exists' | 'expired';

/**
 * RESTOREs each key with what is left of its TTL, never with REPLACE: a key written since the flush keeps
 * the newer value. A key whose TTL ran out meanwhile stays gone, as it would have without the flush.
 */
export async function restoreRecords(redis: Redis, records: SnapshotRecord[], now = Date.now()): Promise<RestoreResult[]> {
  const results: RestoreResult[] = new Array(records.length);
  const pipeline = redis.pipeline();
  const sent: number[] = [];
  records.forEach((r, i) => {
    let ttl = 0;
    if (r.pttl >= 0) {
      ttl = r.pttl - (now - r.at);
      if (ttl <= 0) {
        results[i] = 'expired';
        return;
      }
    }
    pipeline.restore(Buffer.from(r.k, 'base64'), ttl, Buffer.from(r.v, 'base64'));
    sent.push(i);
  });
  if (sent.length === 0) return results;
  const replies = (await pipeline.exec()) ?? [];
  replies.forEach(([err], j) => {
    const i = sent[j]!;
    if (!err) results[i] = 'restored';
    else if (/BUSYKEY/.test(err.message)) results[i] = 'exists';
    else throw err;
  });
  return results;
}
