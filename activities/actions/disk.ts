// The approved action "disk pressure relief": archive and truncate the service's own PM2 logs, and move
// its old temporary files into a compressed archive. Never anything else: the log paths come from PM2 for
// this service's processes, the temp files from its configured tempDirs (real paths; symlinks are never
// followed or moved), and data is not touched.
//
// What "reversible" means here (docs/actions.md): every byte removed is first gzipped into an archive
// that is fsynced before the removal, and zero-touch never deletes that archive. The undo puts temp files
// back exactly (content, mode, mtime) unless a newer file took their place; log content comes back next to
// the live log as `<log>.restored-<time>` — never spliced into a file PM2 is appending to. Idempotent by
// key: each run has its own archive directory named after its idempotency key, with a manifest once done.
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { DiskActionConfig } from '../../config/actions/disk';
import { PROJECT_ROOT, statePath } from '../../config/paths';
import { findService } from '../../config/services';
import {
  archiveAndTruncateLog,
  gunzipNoOverwrite,
  gzipFile,
  isInside,
  oldTempFiles,
  readJson,
  realpathOrUndefined,
  unsafeTempDir,
  writeJsonDurably,
  type TempCandidate,
} from '../../disk/archive';
import type { ActionOutcome, ActionRequest, UndoOutcome, UndoRecipe, UndoRequest } from '../../signals/actions';
import { InvalidRequestError } from '../errors';
import type { ActivityDeps } from '../deps';

interface LogEntry {
  type: 'log';
  log: string;
  stream: 'out' | 'err';
  archive: string;
  bytes: number;
  archiveBytes: number;
  at: number;
  /** false until the log was truncated (a crash in between: the log is archived again on resume). */
  truncated: boolean;
}

interface TempEntry {
  type: 'temp';
  path: string;
  tempDir: string;
  archive: string;
  bytes: number;
  archiveBytes: number;
  ino: number;
  mode: number;
  mtimeMs: number;
  at: number;
}

type Entry = LogEntry | TempEntry;

interface Manifest {
  service: string;
  idempotencyKey: string;
  at: number;
  summary: string;
  files: number;
}

function diskConfigOf(deps: ActivityDeps, service: string, what: string): DiskActionConfig {
  const cfg = findService(deps.config, service).actions.disk;
  if (!cfg) throw new InvalidRequestError(`${what} of ${service} refused: the service has no actions.disk section`);
  return cfg;
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function runDirFor(archiveRoot: string, service: string, idempotencyKey: string): string {
  return path.join(archiveRoot, safeName(service), createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 20));
}

function beat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // outside an activity: nothing to tell
  }
}

function heartbeating(details: () => unknown): () => void {
  const timer = setInterval(() => beat(details()), 2_000);
  return () => clearInterval(timer);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

async function readEntries(runDir: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const sub of ['logs', 'temp']) {
    const names = await readdir(path.join(runDir, sub)).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.json')).sort((a, b) => parseInt(a, 10) - parseInt(b, 10))) {
      const e = await readJson<Entry>(path.join(runDir, sub, name));
      if (e) entries.push(e);
    }
  }
  return entries;
}

function undoFor(service: string, runDir: string, files: number): UndoRecipe {
  if (files === 0) return { kind: 'none', why: 'nothing was archived' };
  return {
    kind: 'restore-files',
    why: `put the ${files} archived file(s) back: temp files to their places (never over a newer file), log content next to each live log as <log>.restored-<time>`,
    service,
    archiveDir: runDir,
    files,
  };
}

/** The temp dirs as real paths; refuses any that is not safely the service's own. */
async function tempDirsOf(cfg: DiskActionConfig, service: string, archiveRoot: string): Promise<{ dirs: string[]; missing: string[] }> {
  const dirs: string[] = [];
  const missing: string[] = [];
  const guarded = { projectRoot: PROJECT_ROOT, archiveRoot: (await realpathOrUndefined(archiveRoot)) ?? archiveRoot };
  for (const configured of cfg.tempDirs) {
    const real = await realpathOrUndefined(statePath(configured));
    if (!real) {
      missing.push(configured);
      continue;
    }
    if (!(await lstat(real)).isDirectory()) throw new InvalidRequestError(`clean-up of ${service} refused: tempDirs entry ${configured} is not a directory`);
    const why = unsafeTempDir(real, guarded);
    if (why) throw new InvalidRequestError(`clean-up of ${service} refused: tempDirs entry ${configured} (${real}) is not a temp dir of the service: ${why}`);
    dirs.push(real);
  }
  return { dirs, missing };
}

export async function cleanLogs(deps: ActivityDeps, req: ActionRequest): Promise<ActionOutcome> {
  const cfg = diskConfigOf(deps, req.service, 'clean-up');
  const service = findService(deps.config, req.service).name;
  const archiveRoot = statePath(cfg.archiveDir);
  const runDir = runDirFor(archiveRoot, service, req.idempotencyKey);

  const done = await readJson<Manifest>(path.join(runDir, 'manifest.json'));
  if (done) {
    return { performed: false, summary: `already cleaned up for ${req.idempotencyKey}: ${done.summary}`, undo: undoFor(service, runDir, done.files) };
  }

  // Preconditions, all before anything is touched.
  const { dirs, missing } = await tempDirsOf(cfg, service, archiveRoot);
  const processes = await deps.pm2.listApp(service);
  const logs = new Map<string, 'out' | 'err'>();
  const notes: string[] = [];
  for (const p of processes) {
    for (const stream of cfg.pm2Logs) {
      const configured = stream === 'out' ? p.outLogPath : p.errLogPath;
      if (!configured) continue;
      const real = await realpathOrUndefined(configured);
      if (!real) continue;
      const st = await lstat(real);
      if (!st.isFile()) {
        notes.push(`${configured} is not a regular file; left alone`);
        continue;
      }
      if (isInside(real, archiveRoot)) continue;
      logs.set(real, stream);
    }
  }
  const candidates: TempCandidate[] = [];
  let symlinks = 0;
  for (const dir of dirs) {
    const found = await oldTempFiles(dir, cfg.minAgeMs, cfg.maxTempFiles - candidates.length, new Set(logs.keys()));
    if (found.overLimit) {
      throw new InvalidRequestError(
        `clean-up of ${service} refused: more than ${cfg.maxTempFiles} temp files older than ${cfg.minAgeMs} ms (actions.disk.maxTempFiles); a clean-up that large needs a human`,
      );
    }
    candidates.push(...found.files);
    symlinks += found.symlinks;
  }

  const previous = await readEntries(runDir);
  const resumed = previous.length > 0;
  await mkdir(path.join(runDir, 'logs'), { recursive: true, mode: 0o700 });
  await mkdir(path.join(runDir, 'temp'), { recursive: true, mode: 0o700 });
  let progress = { idempotencyKey: req.idempotencyKey, logs: 0, temp: 0 };
  const stop = heartbeating(() => progress);
  let seq = previous.length;
  try {
    // Logs. A log archived and truncated by an interrupted run is not archived again.
    const truncatedBefore = new Set(previous.filter((e): e is LogEntry => e.type === 'log' && e.truncated).map((e) => e.log));
    for (const [log, stream] of logs) {
      if (truncatedBefore.has(log)) continue;
      const n = seq++;
      const archive = path.join(runDir, 'logs', `${n}-${safeName(path.basename(log))}.gz`);
      const entryFile = path.join(runDir, 'logs', `${n}.json`);
      // Recorded (truncated: false) once the archive is on disk and before the truncate, so a crash in
      // between loses nothing: the resumed run archives the log again and the undo puts back both.
      const entryOf = (bytes: number, archiveBytes: number, truncated: boolean): LogEntry => ({
        type: 'log', log, stream, archive, bytes, archiveBytes, at: Date.now(), truncated,
      });
      const result = await archiveAndTruncateLog(
        log,
        archive,
        (bytes, archiveBytes) => writeJsonDurably(entryFile, entryOf(bytes, archiveBytes, false)),
        () => unlink(entryFile),
      );
      if (!result.archived) {
        if (result.why !== 'it is empty') notes.push(`${log}: ${result.why}`);
        continue;
      }
      await writeJsonDurably(entryFile, entryOf(result.bytes, result.archiveBytes, true));
      progress = { ...progress, logs: progress.logs + 1 };
      beat(progress);
    }

    // Temp files: an interrupted run's archived file still in place is removed now (its archive is complete).
    for (const e of previous) {
      if (e.type !== 'temp') continue;
      const st = await lstat(e.path).catch(() => undefined);
      if (st && st.isFile() && st.ino === e.ino && st.mtimeMs === e.mtimeMs && st.size === e.bytes) await unlink(e.path);
    }
    const archivedBefore = new Set(previous.filter((e) => e.type === 'temp').map((e) => e.path));
    for (const c of candidates) {
      if (archivedBefore.has(c.path)) continue;
      const n = seq++;
      const archive = path.join(runDir, 'temp', `${n}-${safeName(path.basename(c.path))}.gz`);
      const archiveBytes = await gzipFile(c.path, archive, c.ino);
      const entry: TempEntry = { type: 'temp', path: c.path, tempDir: c.tempDir, archive, bytes: c.bytes, archiveBytes, ino: c.ino, mode: c.mode, mtimeMs: c.mtimeMs, at: Date.now() };
      await writeJsonDurably(path.join(runDir, 'temp', `${n}.json`), entry);
      // Only the very file that was archived, unchanged since: a file rewritten meanwhile stays.
      const st = await lstat(c.path).catch(() => undefined);
      if (st && st.isFile() && st.ino === c.ino && st.mtimeMs === c.mtimeMs && st.size === c.bytes) {
        await unlink(c.path);
      } else {
        await unlink(path.join(runDir, 'temp', `${n}.json`));
        await unlink(archive).catch(() => undefined);
        notes.push(`${c.path} changed while being archived; left in place`);
      }
      progress = { ...progress, temp: progress.temp + 1 };
      beat(progress);
    }
  } finally {
    stop();
  }

  const entries = await readEntries(runDir);
  const logEntries = entries.filter((e): e is LogEntry => e.type === 'log');
  const tempEntries = entries.filter((e): e is TempEntry => e.type === 'temp');
  const logBytes = logEntries.reduce((s, e) => s + e.bytes, 0);
  const tempBytes = tempEntries.reduce((s, e) => s + e.bytes, 0);
  const archiveBytes = entries.reduce((s, e) => s + e.archiveBytes, 0);
  if (missing.length) notes.push(`temp dir(s) ${missing.join(', ')} do not exist`);
  if (symlinks) notes.push(`${symlinks} symlink(s) in the temp dirs left alone`);
  if (resumed) notes.push('resumed an interrupted run');
  const summary =
    entries.length === 0
      ? `nothing to clean up for ${service}: its PM2 logs are empty and no temp file is older than ${cfg.minAgeMs} ms`
      : `freed ${formatBytes(logBytes + tempBytes)}: truncated ${logEntries.length} PM2 log(s) of ${service} (${formatBytes(logBytes)}) ` +
        `and moved ${tempEntries.length} temp file(s) older than ${cfg.minAgeMs} ms (${formatBytes(tempBytes)}); ` +
        `the archive ${runDir} keeps all of it in ${formatBytes(archiveBytes)} (net ${formatBytes(Math.max(0, logBytes + tempBytes - archiveBytes))} if on the same disk)`;
  const full = notes.length ? `${summary}; ${notes.join('; ')}` : summary;
  await writeJsonDurably(path.join(runDir, 'manifest.json'), {
    service,
    idempotencyKey: req.idempotencyKey,
    at: Date.now(),
    summary: full,
    files: entries.length,
  } satisfies Manifest);
  deps.logger.info({ service, key: req.idempotencyKey, logs: logEntries.length, temp: tempEntries.length, freed: logBytes + tempBytes }, 'cleaned up');
  return { performed: entries.length > 0, summary: full, undo: undoFor(service, runDir, entries.length) };
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export async function restoreFiles(deps: ActivityDeps, req: UndoRequest): Promise<UndoOutcome> {
  const undo = req.undo;
  if (undo.kind !== 'restore-files') throw new InvalidRequestError(`restoreFiles cannot undo a "${undo.kind}" recipe`);
  if (undo.service !== req.service) throw new InvalidRequestError(`file restore refused: the recipe is for ${undo.service}, the request for ${req.service}`);
  const cfg = diskConfigOf(deps, req.service, 'file restore');
  const serviceRoot = path.join(statePath(cfg.archiveDir), safeName(req.service));
  const runDir = path.resolve(undo.archiveDir);
  if (path.dirname(runDir) !== serviceRoot) {
    throw new InvalidRequestError(`file restore of ${req.service} refused: ${undo.archiveDir} is not an archive of the service under ${serviceRoot}`);
  }
  const marker = path.join(runDir, 'undo.json');
  const already = await readJson<{ idempotencyKey: string; summary: string }>(marker);
  if (already?.idempotencyKey === req.idempotencyKey) return { performed: false, summary: `already restored for ${req.idempotencyKey}: ${already.summary}` };

  const entries = await readEntries(runDir);
  if (entries.length === 0) throw new InvalidRequestError(`file restore of ${req.service} refused: ${runDir} holds no archived file`);
  const tempDirs = (await Promise.all(cfg.tempDirs.map((d) => realpathOrUndefined(statePath(d))))).filter((d): d is string => !!d);

  let progress = { idempotencyKey: req.idempotencyKey, done: 0 };
  const stop = heartbeating(() => progress);
  let restored = 0;
  let newer = 0;
  let outside = 0;
  const logsRestored: string[] = [];
  try {
    for (const e of entries.filter((x): x is TempEntry => x.type === 'temp')) {
      // Only back into a temp dir the service still has configured, and only where nothing newer is.
      if (!tempDirs.some((d) => d === e.tempDir && isInside(e.path, d))) {
        outside++;
        continue;
      }
      const parent = await realpathOrUndefined(path.dirname(e.path));
      if (parent && !isInside(parent, e.tempDir)) {
        outside++;
        continue;
      }
      if (await gunzipNoOverwrite([e.archive], e.path, { mode: e.mode, mtimeMs: e.mtimeMs })) restored++;
      else newer++;
      progress = { ...progress, done: progress.done + 1 };
      beat(progress);
    }
    const byLog = new Map<string, LogEntry[]>();
    for (const e of entries.filter((x): x is LogEntry => x.type === 'log')) byLog.set(e.log, [...(byLog.get(e.log) ?? []), e]);
    for (const [log, parts] of byLog) {
      const dest = `${log}.restored-${stamp(parts[0]!.at)}`;
      if (!(await realpathOrUndefined(path.dirname(log)))) {
        outside++;
        continue;
      }
      if (await gunzipNoOverwrite(parts.map((p) => p.archive), dest)) logsRestored.push(dest);
      progress = { ...progress, done: progress.done + parts.length };
      beat(progress);
    }
  } finally {
    stop();
  }
  const parts: string[] = [];
  parts.push(`restored ${restored} temp file(s) of ${req.service} to their places`);
  if (newer) parts.push(`${newer} left: a newer file is in their place (the archive keeps them)`);
  if (outside) parts.push(`${outside} not restored: outside the service's configured temp dirs now`);
  parts.push(
    logsRestored.length
      ? `log content back next to the live log(s): ${logsRestored.join(', ')}`
      : 'no log content to put back (or already next to the log)',
  );
  const summary = parts.join('; ');
  await writeJsonDurably(marker, { idempotencyKey: req.idempotencyKey, summary, at: Date.now() });
  deps.logger.info({ service: req.service, key: req.idempotencyKey, restored, logs: logsRestored.length }, 'files restored');
  return { performed: restored > 0 || logsRestored.length > 0, summary };
}
