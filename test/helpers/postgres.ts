// PostgreSQL for the ledger tests. The shared server (127.0.0.1:5432, database test, or
// $ZT_TEST_DATABASE_URL) with a schema of each test's own, dropped after; and a private cluster
// (initdb into a temp dir, pg_ctl on a free port) that a test may stop and start to play an outage.
// An unreachable server or missing binaries fail the tests with the reason; off CI a test may choose to
// skip on missing binaries (pgBinDirOrSkip), on CI never.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { pickFreePort } from '../../temporal/free-port';

const run = promisify(execFile);

export const TEST_DATABASE_URL = process.env.ZT_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other test run uses. */
export function uniqueSchema(prefix = 'zt_test'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** A superuser pool on the shared server, checked to answer. */
export async function testPostgres(url = TEST_DATABASE_URL): Promise<Pool> {
  const pool = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 3_000 });
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end();
    throw new Error(
      `PostgreSQL at ${url} is unreachable (${err instanceof Error ? err.message : String(err)}); ` +
        'start it (pg_ctlcluster --skip-systemctl-redirect 15 main start) or set ZT_TEST_DATABASE_URL',
    );
  }
  return pool;
}

export async function dropSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** The PostgreSQL server binaries (initdb, pg_ctl): $PG_BIN, else the newest /usr/lib/postgresql/N/bin. */
export function pgBinDir(): string | null {
  const candidates = process.env.PG_BIN ? [process.env.PG_BIN] : installedBinDirs();
  return candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) ?? null;
}

function installedBinDirs(): string[] {
  try {
    return readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => `/usr/lib/postgresql/${v}/bin`);
  } catch {
    return [];
  }
}

/** For test({ skip }): the reason to skip off CI; on CI (CI=true) missing binaries fail instead. */
export function pgBinariesMissing(): string | false {
  if (pgBinDir()) return false;
  const why = 'PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql, or set PG_BIN';
  if (process.env.CI === 'true') throw new Error(`${why} (CI never skips this test)`);
  return why;
}

export interface PrivatePostgres {
  url: string;
  port: number;
  dataDir: string;
  start(): Promise<void>;
  /** pg_ctl stop -m fast: connections are cut at once, as in a crash of the database host's service. */
  stop(): Promise<void>;
  /** Stops it if running and removes its files. */
  destroy(): Promise<void>;
}

/**
 * A throwaway cluster on a free port, trust auth, superuser postgres. initdb refuses to run as root, so
 * as root it runs as the postgres user (runuser) in a directory owned by it.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = pgBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql, or set PG_BIN');
  const root = await mkdtemp(path.join(os.tmpdir(), 'zt-pg-'));
  const dataDir = path.join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout: uid } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(root, Number(uid.trim()), Number(gid.trim()));
  }
  const pg = (tool: string, args: string[]) =>
    run(asRoot ? 'runuser' : path.join(bin, tool), asRoot ? ['-u', 'postgres', '--', path.join(bin, tool), ...args] : args, { cwd: root, timeout: 60_000 });
  const fail = async (what: string, err: unknown): Promise<never> => {
    const log = await readFile(path.join(root, 'server.log'), 'utf8').catch(() => '');
    throw new Error(`${what} failed: ${(err as { stderr?: string }).stderr || (err as Error).message}${log ? `\nserver log:\n${log.slice(-2000)}` : ''}`);
  };
  await pg('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']).catch((err) => fail('initdb', err));
  const port = await pickFreePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off`;
  let running = false;
  const start = async () => {
    await pg('pg_ctl', ['-D', dataDir, '-l', path.join(root, 'server.log'), '-o', options, '-w', '-t', '30', 'start']).catch((err) => fail('pg_ctl start', err));
    running = true;
  };
  const stop = async () => {
    await pg('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']).catch((err) => fail('pg_ctl stop', err));
    running = false;
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    start,
    stop,
    destroy: async () => {
      if (running) await stop().catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
}
