// Where the ledger lives, from the environment: DATABASE_URL for a PostgreSQL of your own, else the
// embedded PGlite under the project's state dir. Shared by the workers and `zt audit`, so both open
// the same ledger.
import { z } from 'zod';
import { statePath } from '../config/paths';
import { DEFAULT_SCHEMA, schemaNameSchema } from './sql';

export const DEFAULT_EMBEDDED_DIR = '.zt/ledger-pglite';

export class LedgerConfigError extends Error {
  override name = 'LedgerConfigError';
}

const blankIsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const ledgerEnvSchema = z.object({
  DATABASE_URL: z.preprocess(blankIsUnset, z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional()),
  ZT_LEDGER_SCHEMA: z.preprocess(blankIsUnset, schemaNameSchema.optional()),
  ZT_LEDGER_DIR: z.preprocess(blankIsUnset, z.string().optional()),
});

export interface LedgerSettings {
  /** Unset: the embedded PGlite in dataDir. */
  databaseUrl?: string;
  schema: string;
  /** The embedded PGlite's data directory (absolute). */
  dataDir: string;
}

export function ledgerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): LedgerSettings {
  const parsed = ledgerEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new LedgerConfigError(`invalid ledger environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const { DATABASE_URL, ZT_LEDGER_SCHEMA, ZT_LEDGER_DIR } = parsed.data;
  return {
    ...(DATABASE_URL ? { databaseUrl: DATABASE_URL } : {}),
    schema: ZT_LEDGER_SCHEMA ?? DEFAULT_SCHEMA,
    dataDir: statePath(ZT_LEDGER_DIR ?? DEFAULT_EMBEDDED_DIR),
  };
}

/** The URL without its password, for logs and messages. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgresql://${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}
