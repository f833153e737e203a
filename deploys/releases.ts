// The release layout: every release is a directory `<appDir>/releases/<version>/`, and `<appDir>/current`
// is a symlink to the one that runs. PM2 starts the app's script through `current`, so a restart after the
// link moved runs the other release. The link is switched atomically (a new link under a temporary name,
// renamed over `current`): a process (re)starting at any moment sees the old release or the new one, never
// no release. Releases are never deleted here: a rolled-back release stays on disk for humans to inspect.
import { cp, lstat, mkdir, readdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

export const RELEASES_DIR = 'releases';
export const CURRENT_LINK = 'current';

/** A directory name and a registry value: no separators, no leading dot, nothing a shell would read twice. */
const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/;

export class ReleaseLayoutError extends Error {
  override name = 'ReleaseLayoutError';
}

export function checkVersion(version: string): string {
  if (!VERSION_PATTERN.test(version)) {
    throw new ReleaseLayoutError(
      `release version ${JSON.stringify(version)} is not usable as a directory name: 1-100 letters, digits, ".", "_", "+" or "-", starting with a letter or digit`,
    );
  }
  return version;
}

export function releasesDir(appDir: string): string {
  return path.join(appDir, RELEASES_DIR);
}

export function releaseDir(appDir: string, version: string): string {
  return path.join(releasesDir(appDir), checkVersion(version));
}

export function currentLink(appDir: string): string {
  return path.join(appDir, CURRENT_LINK);
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

export async function releaseExists(appDir: string, version: string): Promise<boolean> {
  return isDirectory(releaseDir(appDir, version));
}

/** The versions on disk, in name order. */
export async function listReleases(appDir: string): Promise<string[]> {
  try {
    return (await readdir(releasesDir(appDir), { withFileTypes: true }))
      .filter((e) => e.isDirectory() && VERSION_PATTERN.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export interface CurrentRelease {
  version: string;
  /** When `current` was last switched (the link's own mtime: the rename keeps the new link's). */
  switchedAt: number;
}

/**
 * The release `current` points at, or null when there is no `current` yet. A `current` that is not a
 * link into `releases/` (a plain directory, a link elsewhere) is refused: this layout does not own it.
 */
export async function readCurrent(appDir: string): Promise<CurrentRelease | null> {
  const link = currentLink(appDir);
  let info;
  try {
    info = await lstat(link);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (!info.isSymbolicLink()) throw new ReleaseLayoutError(`${link} is not a symlink: it is not managed by the release layout`);
  const target = path.resolve(appDir, await readlink(link));
  if (path.dirname(target) !== path.resolve(releasesDir(appDir))) {
    throw new ReleaseLayoutError(`${link} points at ${target}, outside ${releasesDir(appDir)}`);
  }
  return { version: path.basename(target), switchedAt: info.mtimeMs };
}

function tempName(dir: string, prefix: string): string {
  return path.join(dir, `.${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Points `current` at `releases/<version>` in one rename. The release must exist. */
export async function switchCurrent(appDir: string, version: string): Promise<CurrentRelease> {
  if (!(await releaseExists(appDir, version))) throw new ReleaseLayoutError(`release ${version} is not on disk (${releaseDir(appDir, version)})`);
  const link = currentLink(appDir);
  const existing = await lstat(link).catch(() => null);
  if (existing && !existing.isSymbolicLink()) throw new ReleaseLayoutError(`${link} is not a symlink: it is not managed by the release layout`);
  const temp = tempName(appDir, 'current');
  // Relative, so the whole app directory can be moved or mounted elsewhere without breaking the link.
  await symlink(path.join(RELEASES_DIR, version), temp);
  try {
    await rename(temp, link);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  const now = await readCurrent(appDir);
  if (now?.version !== version) throw new ReleaseLayoutError(`${link} does not point at ${version} after the switch`);
  return now;
}

/**
 * Copies `sourceDir` into `releases/<version>`, which must not exist yet. The copy lands under a temporary
 * name and is renamed into place, so a half-copied release is never visible under its version.
 */
export async function installRelease(appDir: string, sourceDir: string, version: string): Promise<string> {
  const target = releaseDir(appDir, version);
  if (!(await isDirectory(sourceDir))) throw new ReleaseLayoutError(`release directory ${sourceDir} does not exist or is not a directory`);
  const source = path.resolve(sourceDir);
  const root = path.resolve(appDir);
  if (root === source || root.startsWith(source + path.sep)) {
    throw new ReleaseLayoutError(`release directory ${sourceDir} contains the app directory ${appDir}: copying it into itself is refused`);
  }
  if (await lstat(target).then(() => true, () => false)) throw new ReleaseLayoutError(`release ${version} already exists (${target}): versions are never overwritten`);
  await mkdir(releasesDir(appDir), { recursive: true });
  const temp = tempName(releasesDir(appDir), `incoming-${version}`);
  try {
    await cp(source, temp, { recursive: true, errorOnExist: true, force: false, verbatimSymlinks: true });
    // rename refuses (ENOTEMPTY/EEXIST) if the version appeared meanwhile: a concurrent deploy of it wins.
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    if (['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) {
      throw new ReleaseLayoutError(`release ${version} already exists (${target}): versions are never overwritten`);
    }
    throw err;
  }
  return target;
}
