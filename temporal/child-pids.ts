import fs from 'node:fs';

/**
 * Pids of our direct children whose argv contains every one of `args`, read from /proc. Used for the one child we
 * do not spawn ourselves (the SDK's dev server) so it can still be signalled when we exit. Linux only; elsewhere
 * it finds nothing.
 */
export function findChildPids(args: string[]): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return entries.map(Number).filter((pid) => {
    try {
      if (parentPid(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')) !== process.pid) return false;
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return args.every((arg) => argv.includes(arg));
    } catch {
      return false; // exited while we looked
    }
  });
}

function parentPid(stat: string): number {
  // "pid (comm) state ppid …" — comm may contain spaces and parentheses, so parse after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[1]);
}
