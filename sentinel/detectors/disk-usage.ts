// Free space and free inodes of one filesystem, and whether either is below its floor. Space counts what
// an unprivileged process can still write (bavail), because that is what the service runs out of.
import { statfs } from 'node:fs/promises';

export interface DiskUsage {
  freePercent: number;
  /** null on filesystems that do not report an inode count (btrfs, some network filesystems). */
  freeInodesPercent: number | null;
}

export interface DiskRule {
  minFreePercent: number;
  minFreeInodesPercent: number;
}

export async function diskUsage(path: string): Promise<DiskUsage> {
  const s = await statfs(path);
  return {
    freePercent: s.blocks > 0 ? (s.bavail / s.blocks) * 100 : 100,
    freeInodesPercent: s.files > 0 ? (s.ffree / s.files) * 100 : null,
  };
}

export function diskShortOf(usage: DiskUsage, rule: DiskRule): Array<'space' | 'inodes'> {
  const short: Array<'space' | 'inodes'> = [];
  if (usage.freePercent < rule.minFreePercent) short.push('space');
  if (usage.freeInodesPercent !== null && usage.freeInodesPercent < rule.minFreeInodesPercent) short.push('inodes');
  return short;
}
