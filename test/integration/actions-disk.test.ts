// Disk-pressure relief and its undo on real files and the real PM2 logs of a running demo instance: the
// service's error log is archived and truncated in place (PM2 keeps writing to it), old temp files are
// moved into a compressed archive while fresh ones, symlinks and everything outside the temp dir stay; a
// re-run with the same idempotency key does nothing; the undo puts the temp files back (not over a newer
// one) and the log content next to the live log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { cleanLogs, restoreFiles } from '../../activities/actions/disk';
import type { ActivityDeps } from '../../activities/deps';
import { InvalidRequestError } from '../../activities/errors';
import { parseConfig } from '../../config/load';
import { PROJECT_ROOT } from '../../config/paths';
import { demoApp } from '../../demo/ecosystem';
import { injectFault } from '../../demo/faults';
import { createLogger } from '../../observability/logger';
import { Pm2Client } from '../../pm2/client';
import type { ActionOutcome, UndoOutcome, UndoRequest } from '../../signals/actions';
import { eventually, freePortRange, waitForHealthy } from '../helpers/system';

const run = <T>(fn: () => Promise<T>): Promise<T> => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn);
const HOUR = 3_600_000;
const DB_ERROR = 'disk test: the first error line, archived then restored';

describe('clean-logs on real files and the real PM2 logs of a demo instance', () => {
  let dir: string;
  let pm2: Pm2Client;
  let basePort: number;
  const service = `localize-api-${Math.random().toString(36).slice(2, 8)}`;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'zt-disk-'));
    basePort = await freePortRange(1);
    pm2 = await Pm2Client.connect({ home: path.join(dir, 'pm2') });
    await pm2.start(demoApp({ name: service, instances: 1, basePort, stateDir: path.join(dir, 'demo'), execMode: 'fork' }));
    await waitForHealthy(basePort, 1);
  });
  after(async () => {
    await pm2?.killDaemon().catch(() => undefined);
    await pm2?.disconnect().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  function depsFor(disk: Record<string, unknown>): ActivityDeps {
    const config = parseConfig({
      pm2: { home: path.join(dir, 'pm2') },
      services: [{ name: service, basePort, instances: 1, actions: { disk: { archiveDir: path.join(dir, 'archive'), ...disk } } }],
    });
    return { config, pm2, logger: createLogger('test') };
  }

  async function errLog(): Promise<string> {
    const [p] = await pm2.listApp(service);
    assert.ok(p?.errLogPath, 'PM2 names the error log');
    return p.errLogPath;
  }

  test('archive + truncate the PM2 log, move old temp files; re-run does nothing; undo restores', async () => {
    // Temp dir of the service: two old files (one in a subdirectory), one fresh, a symlink pointing out.
    const tmp = path.join(dir, 'service-tmp');
    const outside = path.join(dir, 'data');
    await mkdir(path.join(tmp, 'sub'), { recursive: true });
    await mkdir(outside, { recursive: true });
    const old = new Date(Date.now() - 2 * HOUR);
    await writeFile(path.join(tmp, 'old.tmp'), 'x'.repeat(50_000));
    await writeFile(path.join(tmp, 'sub', 'old2.bin'), Buffer.alloc(20_000, 7), { mode: 0o640 });
    await writeFile(path.join(tmp, 'fresh.tmp'), 'being written');
    await writeFile(path.join(outside, 'orders.db'), 'precious data');
    await utimes(path.join(tmp, 'old.tmp'), old, old);
    await utimes(path.join(tmp, 'sub', 'old2.bin'), old, old);
    await utimes(path.join(outside, 'orders.db'), old, old);
    await symlink(outside, path.join(tmp, 'escape'));
    await symlink(path.join(outside, 'orders.db'), path.join(tmp, 'escape.db'));

    // The demo instance writes a real error line through PM2 into its error log.
    await injectFault(`http://127.0.0.1:${basePort}`, { fault: 'log-error', message: DB_ERROR, count: 20 });
    const log = await errLog();
    await eventually('the error line in the PM2 log', async () => ((await readFile(log, 'utf8')).includes(DB_ERROR) ? true : undefined), 10_000);
    const logBytes = (await stat(log)).size;

    const deps = depsFor({ tempDirs: [tmp], minAgeMs: HOUR, pm2Logs: ['err'] });
    const key = 'incident-disk/attempt-1/clean-logs';
    const first = await run<ActionOutcome>(() => cleanLogs(deps, { service, incidentId: 'incident-disk', idempotencyKey: key, pmIds: [], maxOutOfService: 1 }));
    assert.equal(first.performed, true, first.summary);
    assert.match(first.summary, /truncated 1 PM2 log/);
    assert.match(first.summary, /moved 2 temp file/);
    assert.match(first.summary, /2 symlink\(s\) in the temp dirs left alone/);
    assert.equal(first.undo.kind, 'restore-files');
    if (first.undo.kind !== 'restore-files') return;
    assert.equal(first.undo.files, 3);

    assert.ok((await stat(log)).size < logBytes, 'the log was truncated');
    await assert.rejects(stat(path.join(tmp, 'old.tmp')), { code: 'ENOENT' });
    await assert.rejects(stat(path.join(tmp, 'sub', 'old2.bin')), { code: 'ENOENT' });
    assert.equal(await readFile(path.join(tmp, 'fresh.tmp'), 'utf8'), 'being written', 'a fresh temp file stays');
    assert.equal(await readFile(path.join(outside, 'orders.db'), 'utf8'), 'precious data', 'data outside the temp dir stays');
    assert.equal(await readlink(path.join(tmp, 'escape.db')), path.join(outside, 'orders.db'), 'a symlink stays as it is');
    assert.ok((await lstat(path.join(tmp, 'escape'))).isSymbolicLink());

    // PM2 keeps writing to the truncated log through its open handle: new lines at the start, no hole.
    await injectFault(`http://127.0.0.1:${basePort}`, { fault: 'log-error', message: 'after the clean-up' });
    const live = await eventually('the new line in the live log', async () => {
      const text = await readFile(log, 'utf8');
      return text.includes('after the clean-up') ? text : undefined;
    }, 10_000);
    assert.ok(!live.includes('\0'), 'no hole of NUL bytes: PM2 appends at the new end');
    assert.ok(!live.includes(DB_ERROR), 'the old content is gone from the live log');

    // The same key again: nothing is done, the same undo, the new line stays.
    const again = await run<ActionOutcome>(() => cleanLogs(deps, { service, incidentId: 'incident-disk', idempotencyKey: key, pmIds: [], maxOutOfService: 1 }));
    assert.equal(again.performed, false);
    assert.deepEqual(again.undo, first.undo);
    assert.ok((await readFile(log, 'utf8')).includes('after the clean-up'));

    // A newer file took one place meanwhile: the undo leaves it.
    await writeFile(path.join(tmp, 'sub', 'old2.bin'), 'newer');
    const undoReq: UndoRequest = { service, incidentId: 'incident-disk', idempotencyKey: `${key}/undo`, undo: first.undo };
    const undone = await run<UndoOutcome>(() => restoreFiles(deps, undoReq));
    assert.equal(undone.performed, true, undone.summary);
    assert.match(undone.summary, /restored 1 temp file/);
    assert.match(undone.summary, /1 left: a newer file/);

    assert.equal(await readFile(path.join(tmp, 'old.tmp'), 'utf8'), 'x'.repeat(50_000));
    assert.ok(Math.abs((await stat(path.join(tmp, 'old.tmp'))).mtimeMs - old.getTime()) < 1_000, 'mtime restored');
    assert.equal(await readFile(path.join(tmp, 'sub', 'old2.bin'), 'utf8'), 'newer', 'the newer file is not overwritten');
    const restored = (await readdir(path.dirname(log))).filter((n) => n.startsWith(`${path.basename(log)}.restored-`));
    assert.equal(restored.length, 1, 'the log content comes back next to the live log');
    const restoredText = await readFile(path.join(path.dirname(log), restored[0]!), 'utf8');
    assert.equal(restoredText.length, logBytes);
    assert.ok(restoredText.includes(DB_ERROR));
    assert.ok((await readFile(log, 'utf8')).includes('after the clean-up'), 'the live log is not rewritten');

    const undoneAgain = await run<UndoOutcome>(() => restoreFiles(deps, undoReq));
    assert.equal(undoneAgain.performed, false);
    assert.match(undoneAgain.summary, /already restored/);
  });

  test('a temp dir that is not the service\'s own is refused before anything is touched', async () => {
    for (const tempDir of ['/', PROJECT_ROOT, path.join(dir, 'archive', '..')]) {
      await assert.rejects(
        run(() => cleanLogs(depsFor({ tempDirs: [tempDir] }), { service, incidentId: 'i', idempotencyKey: `refuse-${tempDir}`, pmIds: [], maxOutOfService: 1 })),
        (err: Error) => err instanceof InvalidRequestError && /tempDirs entry/.test(err.message),
        tempDir,
      );
    }
  });

  test('more old temp files than maxTempFiles: refused, nothing moved', async () => {
    const tmp = path.join(dir, 'many');
    await mkdir(tmp, { recursive: true });
    const old = new Date(Date.now() - 2 * HOUR);
    for (let i = 0; i < 5; i++) {
      await writeFile(path.join(tmp, `f${i}`), String(i));
      await utimes(path.join(tmp, `f${i}`), old, old);
    }
    await assert.rejects(
      run(() => cleanLogs(depsFor({ tempDirs: [tmp], maxTempFiles: 3, pm2Logs: [] }), { service, incidentId: 'i', idempotencyKey: 'many', pmIds: [], maxOutOfService: 1 })),
      (err: Error) => err instanceof InvalidRequestError && /more than 3 temp files/.test(err.message),
    );
    assert.equal((await readdir(tmp)).length, 5);
  });
});
