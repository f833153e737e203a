// Opens the ledger where the environment says: a PostgreSQL of your own (DATABASE_URL) or the embedded
// PGlite. Either way the caller gets the same Ledger over a pg Pool. An unreachable database does not
// stop a worker from starting: migrations are retried before the first append, and until then appends
// fail with retryable errors, so reports wait in Temporal instead of getting lost.
import { Pool, type PoolConfig } from 'pg';
import type { Logger } from '../observability/logger';
import { embeddedPostgres } from './embedded';
import { Ledger } from './ledger';
import { LedgerMigrationError } from './migrate';
import { describeDatabaseUrl } from './settings';

export interface OpenLedgerOptions {
  /** A PostgreSQL URL; unset → the embedded PGlite in dataDir. */
  databaseUrl?: string;
  /** The embedded PGlite's data directory (e.g. statePath('.zt/ledger-pglite')). */
  dataDir: string;
  /** Default zero_touch. */
  schema?: string;
  logger: Logger;
  /** Create or upgrade the schema (workers: yes; `zt audit`, which only reads: no). Default true. */
  migrate?: boolean;
}

export interface OpenedLedger {
  ledger: Ledger;
  /** Where it is, for messages (no password). */
  where: string;
  close(): Promise<void>;
}

/** Short enough that an activity hears "database down" well within its start-to-close timeout. */
const CONNECT_TIMEOUT_MS = 5_000;
const QUERY_TIMEOUT_MS = 20_000;

export async function openLedger(opts: OpenLedgerOptions): Promise<OpenedLedger> {
  const { logger } = opts;
  const common: PoolConfig = { connectionTimeoutMillis: CONNECT_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS, application_name: 'zero-touch ledger' };
  let pool: Pool;
  let where: string;
  let release = async () => undefined as void;
  if (opts.databaseUrl) {
    pool = new Pool({ ...common, connectionString: opts.databaseUrl, max: 4 });
    where = describeDatabaseUrl(opts.databaseUrl);
  } else {
    const server = await embeddedPostgres(opts.dataDir, logger);
    release = server.release;
    // PGlite is one PostgreSQL session: one connection per process keeps our transactions whole.
    pool = new Pool({ ...common, host: server.host, port: server.port, user: 'postgres', database: 'postgres', max: 1 });
    where = `embedded PGlite ${opts.dataDir}${server.owned ? '' : ` (served by another process on ${server.host}:${server.port})`}`;
  }
  // An idle connection dropped by a restarting server must not crash the process; the next use reconnects.
  pool.on('error', (err) => logger.warn({ err: err.message, ledger: where }, 'ledger database connection lost'));
  const ledger = new Ledger(pool, { schema: opts.schema, autoMigrate: opts.migrate ?? true });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await pool.end();
    await release();
  };
  if (opts.migrate ?? true) {
    try {
      const applied = await ledger.ready();
      if (applied.length) logger.info({ applied, ledger: where, schema: ledger.schema }, 'ledger migrations applied');
    } catch (err) {
      // Migrations that no longer match the database are a bug to fix now, not an outage to wait out.
      if (err instanceof LedgerMigrationError) {
        await close();
        throw err;
      }
      logger.warn({ err: (err as Error).message, ledger: where }, 'ledger database not reachable yet; migrations run before the first append');
    }
  }
  return { ledger, where, close };
}
