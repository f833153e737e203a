// The building blocks of disk-pressure relief: which paths are the service's own (real paths, never a
// symlink followed), streaming gzip of a live log or an old temp file into an archive that is fsynced
// before anything is removed, and the restore that never overwrites a newer file.
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { chmod, link, lstat, mkdir, open, readdir, readFile, realpath, rename, stat, unlink, utimes } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The real path, or undefined when it does not exist. */
export async function realpathOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await realpath(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Why a directory may not serve as a temp dir (undefined: it may). */
export function unsafeTempDir(real: string, guarded: { projectRoot: string; archiveRoot: string }): string | undefined {
  if (real === path.parse(real).root) return 'it is the filesystem root';
  if (real === os.homedir()) return 'it is the home directory';
  if (isInside(guarded.projectRoot, real)) return `it holds zero-touch itself (${guarded.projectRoot})`;
  if (isInside(guarded.archiveRoot, real)) return `it holds the archive (${guarded.archiveRoot})`;
  return undefined;
}

export interface TempCandidate {
  path: string;
  tempDir: string;
  bytes: number;
  ino: number;
  mtimeMs: number;
  mode: number;
}

/**
 * Regular files under `dir` (a real path) not modified for `minAgeMs`. Symlinks are never followed nor
 * moved: they are counted and left. Stops once more than `limit` are found.
 */
export async function oldTempFiles(
  dir: string,
  minAgeMs: number,
  limit: number,
  exclude: Set<string>,
  now = Date.now(),
): Promise<{ files: TempCandidate[]; symlinks: number; overLimit: boolean }> {
  const files: TempCandidate[] = [];
  let symlinks = 0;
  const walk = async (d: string): Promise<boolean> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw err;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      const st = await lstat(p).catch(() => undefined);
      if (!st) continue;
      if (st.isSymbolicLink()) symlinks++;
      else if (st.isDirectory()) {
        if (!(await walk(p))) return false;
      } else if (st.isFile() && now - st.mtimeMs >= minAgeMs && !exclude.has(p)) {
        files.push({ path: p, tempDir: dir, bytes: st.size, ino: st.ino, mtimeMs: st.mtimeMs, mode: st.mode & 0o7777 });
        if (files.length > limit) return false;
      }
    }
    return true;
  };
  const complete = await walk(dir);
  return { files, symlinks, overLimit: !complete };
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await open(file, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  await fsyncFile(dir).catch(() => undefined); // not every filesystem lets a directory be fsynced
}

/** Writes JSON durably (tmp, fsync, rename). */
export async function writeJsonDurably(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(value, null, 1));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await fsyncDir(path.dirname(file));
}

export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** gzip a whole (non-growing) file, opened without following a symlink, into `dest` (fsynced). */
export async function gzipFile(src: string, dest: string, expectIno: number): Promise<number> {
  const fh = await open(src, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if ((await fh.stat()).ino !== expectIno) throw new Error(`${src} was replaced while being archived`);
    const tmp = `${dest}.tmp`;
    await pipeline(fh.createReadStream({ autoClose: false }), createGzip(), createWriteStream(tmp, { mode: 0o600 }));
    await fsyncFile(tmp);
    await rename(tmp, dest);
    await fsyncDir(path.dirname(dest));
    return (await stat(dest)).size;
  } finally {
    await fh.close();
  }
}

export type LogArchiveResult = { archived: true; bytes: number; archiveBytes: number } | { archived: false; why: string };

/**
 * gzip what a live log holds into `dest` (fsynced) and, once nothing more was appended, truncate it in place
 * (PM2 appends with O_APPEND, so its file handles stay valid). Appends landing while it is read are read
 * too, in up to `rounds` passes; a log that never stops growing is left as it is.
 */
export async function archiveAndTruncateLog(
  log: string,
  dest: string,
  /** Called once the archive is complete on disk, just before the truncate: record it durably here. */
  beforeTruncate: (bytes: number, archiveBytes: number) => Promise<void>,
  /** Called when a recorded archive is dropped after all (the log grew again before the truncate). */
  dropped: () => Promise<void>,
  rounds = 5,
): Promise<LogArchiveResult> {
  // Read-write only to truncate through this very descriptor (never a path a symlink could redirect).
  const fh = await open(log, constants.O_RDWR | constants.O_NOFOLLOW);
  const tmp = `${dest}.tmp`;
  try {
    let pos = 0;
    for (let round = 0; round < rounds; round++) {
      const size = (await fh.stat()).size;
      if (size < pos) {
        await unlink(tmp).catch(() => undefined);
        return { archived: false, why: 'it was truncated by someone else meanwhile' };
      }
      if (size === pos) {
        if (pos === 0) return { archived: false, why: 'it is empty' };
        await fsyncFile(tmp);
        await rename(tmp, dest);
        await fsyncDir(path.dirname(dest));
        const archiveBytes = (await stat(dest)).size;
        await beforeTruncate(pos, archiveBytes);
        // Between this stat and the truncate only a write of the same instant can slip in.
        if ((await fh.stat()).size !== pos) {
          await dropped();
          await rename(dest, tmp);
          continue;
        }
        await fh.truncate(0);
        return { archived: true, bytes: pos, archiveBytes };
      }
      // Each pass is one more gzip member of the same file; gunzip reads them as one stream.
      await pipeline(
        fh.createReadStream({ start: pos, end: size - 1, autoClose: false }),
        createGzip(),
        createWriteStream(tmp, { flags: pos === 0 ? 'w' : 'a', mode: 0o600 }),
      );
      pos = size;
    }
    await unlink(tmp).catch(() => undefined);
    return { archived: false, why: `it kept growing through ${rounds} passes; left as it is` };
  } finally {
    await fh.close();
  }
}

/** gunzip `sources` (in order) into a new file `dest`, never over an existing one. false: `dest` exists. */
export async function gunzipNoOverwrite(sources: string[], dest: string, opts: { mode?: number; mtimeMs?: number } = {}): Promise<boolean> {
  if (await lstat(dest).then(() => true, () => false)) return false;
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.zt-restore-${randomBytes(4).toString('hex')}`);
  try {
    const out = createWriteStream(tmp, { mode: 0o600, flags: 'wx' });
    await pipeline(
      (async function* () {
        for (const src of sources) yield* createReadStream(src).pipe(createGunzip());
      })(),
      out,
    );
    await fsyncFile(tmp);
    if (opts.mode !== undefined) await chmod(tmp, opts.mode);
    if (opts.mtimeMs !== undefined) await utimes(tmp, new Date(), new Date(opts.mtimeMs));
    try {
      await link(tmp, dest); // fails with EEXIST instead of overwriting a file that appeared meanwhile
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    await fsyncDir(path.dirname(dest));
    return true;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
