// The audit ledger over a pg Pool: append (idempotent by kind + key, serialized so the chain is linear),
// read, and verify the chain. The same code serves an external PostgreSQL (DATABASE_URL) and the
// embedded PGlite (open.ts): every statement runs inside an explicit transaction, which is also what
// keeps PGlite's single shared session safe when several connections take turns on it.
import type { Pool, PoolClient } from 'pg';
import { jsonRoundTrip, type JsonValue } from './canonical-json';
import { ChainVerifier, GENESIS_HASH, hashEntry } from './chain';
import { migrate } from './migrate';
import { DEFAULT_SCHEMA, LOCK_APPEND, quoteIdent, schemaLockKey, schemaNameSchema } from './sql';
import { newEntrySchema, type AppendResult, type LedgerEntry, type NewEntry, type VerifyResult } from './types';

export class LedgerValidationError extends Error {
  override name = 'LedgerValidationError';
}

interface EntryRow {
  seq: string;
  recorded_at: Date;
  kind: string;
  key: string;
  body: JsonValue;
  prev_hash: string;
  hash: string;
}

const COLUMNS = 'seq, recorded_at, kind, key, body, prev_hash, hash';
const VERIFY_BATCH = 1000;

export interface LedgerOptions {
  /** PostgreSQL schema holding the ledger (default zero_touch); tests use one of their own. */
  schema?: string;
  /** The clock, so tests can pin recorded_at. */
  now?: () => Date;
  /** Migrate (once, retried after a failure) before the first append: a worker may start while the database is down. */
  autoMigrate?: boolean;
}

export interface ListQuery {
  kind?: string;
  /** Newest first; default 50. */
  limit?: number;
  /** Only rows with seq below this (paging backwards). */
  beforeSeq?: number;
}

export class Ledger {
  readonly schema: string;
  /** The schema-qualified table, for report-queries.ts. */
  readonly table: string;
  private readonly now: () => Date;
  private readonly autoMigrate: boolean;
  private migrated: Promise<string[]> | null = null;

  constructor(
    private readonly pool: Pool,
    opts: LedgerOptions = {},
  ) {
    this.schema = schemaNameSchema.parse(opts.schema ?? DEFAULT_SCHEMA);
    this.table = `${quoteIdent(this.schema)}.ledger_entries`;
    this.now = opts.now ?? (() => new Date());
    this.autoMigrate = opts.autoMigrate ?? false;
  }

  /** Creates or upgrades the schema; safe to call from every worker at start. Returns the migrations applied. */
  migrate(): Promise<string[]> {
    return migrate(this.pool, this.schema);
  }

  /** Migrates once per Ledger; a failed attempt (database down) is forgotten so the next call tries again. */
  ready(): Promise<string[]> {
    this.migrated ??= this.migrate().catch((err: unknown) => {
      this.migrated = null;
      throw err;
    });
    return this.migrated;
  }

  /** Whether the ledger table exists (a reader must not create it). */
  async exists(): Promise<boolean> {
    return this.read(async (client) => {
      const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [this.table]);
      return rows[0]?.exists === true;
    });
  }

  async append(input: NewEntry): Promise<AppendResult> {
    const parsed = newEntrySchema.safeParse(input);
    if (!parsed.success) throw new LedgerValidationError(`invalid ledger entry: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`).join('; ')}`);
    const { kind, key } = parsed.data;
    // Hash exactly what jsonb will give back.
    const body = jsonRoundTrip(parsed.data.body);
    if (this.autoMigrate) await this.ready();
    return this.transaction(async (client) => {
      // Serializes appenders of this schema (across processes and hosts) so each sees the true head. An
      // advisory lock needs no privilege, unlike LOCK TABLE … EXCLUSIVE, which an INSERT-only role cannot take.
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_APPEND, schemaLockKey(this.schema)]);
      const existing = await client.query<EntryRow>(`SELECT ${COLUMNS} FROM ${this.table} WHERE kind = $1 AND key = $2`, [kind, key]);
      if (existing.rows[0]) return { entry: toEntry(existing.rows[0]), created: false };
      const head = await client.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM ${this.table} ORDER BY seq DESC LIMIT 1`);
      const seq = head.rows[0] ? Number(head.rows[0].seq) + 1 : 1;
      const prevHash = head.rows[0]?.hash ?? GENESIS_HASH;
      // Milliseconds, chosen here: PostgreSQL would keep microseconds that a JS Date read back drops.
      const recordedAt = new Date(Math.floor(this.now().getTime())).toISOString();
      const hash = hashEntry(prevHash, { seq, recordedAt, kind, key, body });
      const inserted = await client.query<EntryRow>(
        `INSERT INTO ${this.table} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
        [seq, recordedAt, kind, key, JSON.stringify(body), prevHash, hash],
      );
      return { entry: toEntry(inserted.rows[0]!), created: true };
    });
  }

  async find(kind: string, key: string): Promise<LedgerEntry | null> {
    return this.read(async (client) => {
      const { rows } = await client.query<EntryRow>(`SELECT ${COLUMNS} FROM ${this.table} WHERE kind = $1 AND key = $2`, [kind, key]);
      return rows[0] ? toEntry(rows[0]) : null;
    });
  }

  /** Newest first. */
  async list(q: ListQuery = {}): Promise<LedgerEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.kind !== undefined) where.push(`kind = $${params.push(q.kind)}`);
    if (q.beforeSeq !== undefined) where.push(`seq < $${params.push(q.beforeSeq)}`);
    const limit = Number.isFinite(q.limit) ? Math.max(1, Math.min(Math.floor(q.limit!), 10_000)) : 50;
    const sql = `SELECT ${COLUMNS} FROM ${this.table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${limit}`;
    return this.read(async (client) => (await client.query<EntryRow>(sql, params)).rows.map(toEntry));
  }

  /**
   * Walks every row in seq order and recomputes the chain. One repeatable-read snapshot, so appends
   * committed meanwhile neither appear half-way nor count as breaks.
   */
  async verifyChain(): Promise<VerifyResult> {
    return this.read(async (client) => {
      const verifier = new ChainVerifier();
      let after = 0;
      for (;;) {
        const { rows } = await client.query<EntryRow>(`SELECT ${COLUMNS} FROM ${this.table} WHERE seq > $1 ORDER BY seq LIMIT ${VERIFY_BATCH}`, [after]);
        for (const row of rows) {
          const broken = verifier.check(toEntry(row));
          if (broken) return { ok: false, rows: verifier.rows, firstBroken: broken };
        }
        if (rows.length < VERIFY_BATCH) return verifier.result();
        after = Number(rows.at(-1)!.seq);
      }
    });
  }

  /** A read-only snapshot for queries over the ledger (report-queries.ts). */
  read<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.transaction(fn, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  private async transaction<T>(fn: (client: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query(begin);
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      broken = err;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      // A connection that failed mid-transaction is dropped, not handed to the next caller.
      client.release(connectionLost(broken) ? (broken as Error) : undefined);
    }
  }
}

function connectionLost(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: string }).code;
  // Class 08 (connection exception), 57P0x (shutdown), or a socket error without a SQLSTATE.
  return code === undefined || code.startsWith('08') || code.startsWith('57P') || !/^[0-9A-Z]{5}$/.test(code);
}

function toEntry(row: EntryRow): LedgerEntry {
  return {
    seq: Number(row.seq),
    recordedAt: row.recorded_at.toISOString(),
    kind: row.kind,
    key: row.key,
    body: row.body,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
