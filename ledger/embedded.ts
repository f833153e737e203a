// The embedded PostgreSQL: PGlite (PostgreSQL compiled to WebAssembly, in this process) served over the
// PostgreSQL wire protocol on a loopback port, so the ledger's pg code is the same as against a real
// server. PGlite must have exactly one owner per data directory: the owner writes <dataDir>.server.json
// ({pid, host, port}); another process (`zt audit`, a second worker) that finds a live owner connects to
// its port instead of opening the files, and a claim left by a dead process is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../observability/logger';

export interface EmbeddedEndpoint {
  host: string;
  port: number;
  /** true when this process runs the server; false when it uses another process's. */
  owned: boolean;
  /** Stops the server when this was its last user in this process. */
  release(): Promise<void>;
}

interface Claim {
  pid: number;
  host?: string;
  port?: number;
}

interface Running {
  host: string;
  port: number;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
/** The query queue of the socket server serializes transactions; a few connections let `zt audit` in beside the worker. */
const MAX_CONNECTIONS = 8;

/** In this process, one server per data directory however many ledgers are opened on it. */
const inProcess = new Map<string, { running: Promise<Running>; users: number }>();

export function claimFileOf(dataDir: string): string {
  return `${path.resolve(dataDir)}.server.json`;
}

export async function embeddedPostgres(dataDir: string, logger: Logger, waitMs = 30_000): Promise<EmbeddedEndpoint> {
  const dir = path.resolve(dataDir);
  const mine = inProcess.get(dir);
  if (mine) {
    mine.users += 1;
    const running = await mine.running;
    return { host: running.host, port: running.port, owned: true, release: releaser(dir) };
  }
  const file = claimFileOf(dir);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const claim = readClaim(file);
    if (claim && claim.pid !== process.pid && isAlive(claim.pid)) {
      if (claim.port && (await reachable(claim.host ?? HOST, claim.port))) {
        return { host: claim.host ?? HOST, port: claim.port, owned: false, release: async () => undefined };
      }
      if (Date.now() > deadline) throw new Error(`process ${claim.pid} holds the embedded ledger ${dir} but does not serve it (claim ${file})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    // No claim, or one left by a process that is gone.
    if (claim) removeFile(file);
    if (!createClaim(file)) continue;
    // Registered before the first await, so a concurrent open in this process shares this server.
    const running = serve(dir, file, logger).catch((err: unknown) => {
      inProcess.delete(dir);
      removeFile(file);
      throw err;
    });
    inProcess.set(dir, { running, users: 1 });
    const { host, port } = await running;
    return { host, port, owned: true, release: releaser(dir) };
  }
}

function releaser(dir: string): () => Promise<void> {
  let released = false;
  return async () => {
    const mine = inProcess.get(dir);
    if (released || !mine) return;
    released = true;
    mine.users -= 1;
    if (mine.users > 0) return;
    inProcess.delete(dir);
    await (await mine.running).stop();
  };
}

async function serve(dir: string, file: string, logger: Logger): Promise<Running> {
  // Loaded only here: the WebAssembly module is not needed when DATABASE_URL points elsewhere.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  mkdirSync(path.dirname(dir), { recursive: true });
  const started = Date.now();
  const db = await PGlite.create({ dataDir: dir });
  const server = new PGLiteSocketServer({ db, host: HOST, port: 0, maxConnections: MAX_CONNECTIONS });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  const port = Number(server.getServerConn().split(':').at(-1));
  writeClaim(file, { pid: process.pid, host: HOST, port });
  logger.info({ dataDir: dir, port, ms: Date.now() - started }, `embedded ledger database (PGlite) serving ${dir} on ${HOST}:${port}`);
  return {
    host: HOST,
    port,
    stop: async () => {
      await server.stop();
      await db.close();
      if (readClaim(file)?.pid === process.pid) removeFile(file);
    },
  };
}

function readClaim(file: string): Claim | null {
  try {
    const claim = JSON.parse(readFileSync(file, 'utf8')) as Claim;
    return Number.isInteger(claim.pid) ? claim : null;
  } catch {
    // Missing, or half-written by a process that died while writing it: either way nobody holds it.
    return null;
  }
}

/** Exclusive create: of two processes starting at once, one wins and the other waits for its port. */
function createClaim(file: string): boolean {
  mkdirSync(path.dirname(file), { recursive: true });
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid }));
  } finally {
    closeSync(fd);
  }
  return true;
}

function writeClaim(file: string, claim: Claim): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(claim));
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch {}
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
