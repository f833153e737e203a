// Reads the end of a log file, never the whole of it, and never for longer than a timeout: a PM2 log can be
// gigabytes, live on a stuck disk or be a FIFO, and diagnosis must not wait on any of that.
import { open, stat } from 'node:fs/promises';

export type LogTail =
  | { status: 'read'; text: string; bytes: number; size: number; mtimeMs: number }
  | { status: 'missing' | 'unreadable' | 'not-a-file' | 'timeout'; reason: string };

async function readTail(file: string, maxBytes: number): Promise<LogTail> {
  let handle;
  try {
    // Looked at before opening: opening a FIFO for reading would block until someone writes to it.
    if (!(await stat(file)).isFile()) return { status: 'not-a-file', reason: 'not a regular file' };
    handle = await open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { status: 'missing', reason: 'no such file' };
    return { status: 'unreadable', reason: code ?? (err as Error).message };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { status: 'not-a-file', reason: 'not a regular file' };
    const start = Math.max(0, stat.size - maxBytes);
    const length = stat.size - start;
    const buffer = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await handle.read(buffer, got, length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    let text = buffer.subarray(0, got).toString('utf8');
    // Started mid-file: the first line is a fragment (maybe of a multi-byte character), drop it.
    if (start > 0) {
      const newline = text.indexOf('\n');
      text = newline < 0 ? '' : text.slice(newline + 1);
    }
    return { status: 'read', text, bytes: got, size: stat.size, mtimeMs: stat.mtimeMs };
  } catch (err) {
    return { status: 'unreadable', reason: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The last `maxBytes` of `file` (from the first whole line), or why there is nothing: it never throws. */
export async function readLogTail(file: string, opts: { maxBytes: number; timeoutMs: number }): Promise<LogTail> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<LogTail>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'timeout', reason: `no answer within ${opts.timeoutMs} ms` }), opts.timeoutMs);
    timer.unref();
  });
  try {
    // A read that loses the race still finishes on its own and closes its file handle.
    return await Promise.race([readTail(file, opts.maxBytes), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
