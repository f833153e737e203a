// The boot id this host had when the sentinel last ran, kept on disk. Keyed by hostname: a state directory
// carried to another machine must not report that machine's boot as a reboot.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const lastBootSchema = z.object({ hostname: z.string(), bootId: z.string() });

export async function readLastBoot(file: string): Promise<string | null> {
  try {
    const parsed = lastBootSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success && parsed.data.hostname === os.hostname() ? parsed.data.bootId : null;
  } catch {
    return null; // first run, or a torn file: nothing to compare with
  }
}

export async function writeLastBoot(file: string, bootId: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify({ hostname: os.hostname(), bootId }));
}
