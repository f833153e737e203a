// Plain numbered SQL files (migrations/NNN_name.sql), applied in order in one transaction and recorded
// in <schema>.zt_schema_migrations. An advisory lock taken first serializes workers that start at the
// same moment: the second one waits, then finds everything applied. An applied file that has since
// changed is refused rather than silently diverging from what the database holds.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { LOCK_MIGRATE, quoteIdent, schemaLockKey } from './sql';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

export class LedgerMigrationError extends Error {
  override name = 'LedgerMigrationError';
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((file) => {
      const m = /^(\d{3})_([a-z0-9_]+)\.sql$/.exec(file);
      if (!m) throw new LedgerMigrationError(`migration file ${file} is not named NNN_name.sql`);
      const sql = readFileSync(path.join(dir, file), 'utf8');
      return { version: Number(m[1]), name: m[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new LedgerMigrationError(`migrations must be numbered 001, 002, … without gaps: found ${m.version} at position ${i + 1}`);
  });
  return migrations;
}

/** Applies what is missing; returns the names applied now (empty when the schema was up to date). */
export async function migrate(pool: Pool, schema: string, migrations: Migration[] = readMigrations()): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    try {
      const applied = await applyMissing(client, schema, migrations);
      await client.query('COMMIT');
      return applied;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    client.release();
  }
}

async function applyMissing(client: PoolClient, schema: string, migrations: Migration[]): Promise<string[]> {
  const ident = quoteIdent(schema);
  await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_MIGRATE, schemaLockKey(schema)]);
  // Checked before creating: CREATE … IF NOT EXISTS still needs the CREATE privilege, which a role that
  // only uses an existing ledger may not have.
  const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (!rowCount) await client.query(`CREATE SCHEMA ${ident}`);
  await client.query(`SET LOCAL search_path TO ${ident}`);
  const { rows: [table] } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [`${ident}.zt_schema_migrations`]);
  if (!table?.exists) {
    await client.query(`CREATE TABLE zt_schema_migrations (
      version    integer     PRIMARY KEY,
      name       text        NOT NULL,
      checksum   text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  }
  const { rows } = await client.query<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM zt_schema_migrations ORDER BY version');
  const done = new Map(rows.map((r) => [r.version, r]));
  const applied: string[] = [];
  for (const m of migrations) {
    const prior = done.get(m.version);
    if (prior) {
      if (prior.checksum !== m.checksum) {
        throw new LedgerMigrationError(`migration ${m.version} (${prior.name}) was changed after it was applied to schema ${schema}: add a new migration instead`);
      }
      continue;
    }
    await client.query(m.sql);
    await client.query('INSERT INTO zt_schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
    applied.push(`${String(m.version).padStart(3, '0')}_${m.name}`);
  }
  // Versions newer than this code (a rolling upgrade) are left alone: an older worker keeps appending.
  return applied;
}
