// The deploy registry: one JSON line per deploy, appended and never rewritten, so it doubles as the audit
// trail of what ran when and who put it there. The bad-deploy detector reads it; rollback (issue 5) reads
// the release before the last. A process killed mid-append leaves a torn line; readers skip it and the
// next append starts on a fresh line, so one crash never poisons the file.
import { appendFile, mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export const deployRecordSchema = z.object({
  service: z.string().min(1),
  version: z.string().min(1),
  /** Where the release lives on disk (`releases/<version>`), when the deploy has a release layout. */
  path: z.string().min(1).optional(),
  /** ISO 8601, UTC. */
  at: z.iso.datetime(),
  by: z.string().min(1),
  /**
   * What put this release in place: a deploy (absent in records written before rollbacks existed), an
   * automatic rollback, or the roll-forward that undid one. Rollbacks and roll-forwards are records like
   * deploys, so "the last deploy" a reader sees is always the release that runs.
   */
  kind: z.enum(['deploy', 'rollback', 'roll-forward']).optional(),
  /** For a rollback or roll-forward: the version it switched away from ("rollback of v2"). */
  from: z.string().min(1).optional(),
  /** The idempotency key of the action that wrote it, so a re-run finds its own record. */
  key: z.string().min(1).optional(),
});

export type DeployRecord = z.infer<typeof deployRecordSchema>;

export interface NewDeploy {
  service: string;
  version: string;
  path?: string;
  at?: Date | string;
  by: string;
  kind?: DeployKind;
  from?: string;
  key?: string;
}

export type DeployKind = NonNullable<DeployRecord['kind']>;

/** A record written by a deploy (not a rollback or roll-forward). */
export function isDeploy(record: DeployRecord): boolean {
  return record.kind === undefined || record.kind === 'deploy';
}

export class DeployRegistryError extends Error {
  override name = 'DeployRegistryError';
}

export class DeployRegistry {
  constructor(readonly file: string) {}

  async recordDeploy(deploy: NewDeploy): Promise<DeployRecord> {
    const at = deploy.at === undefined ? new Date() : new Date(deploy.at);
    const record = deployRecordSchema.parse({ ...deploy, at: at.toISOString() });
    await mkdir(path.dirname(this.file), { recursive: true });
    const prefix = (await endsMidLine(this.file)) ? '\n' : '';
    // One write with O_APPEND: concurrent writers (a CLI and a rollback) interleave whole lines.
    await appendFile(this.file, `${prefix}${JSON.stringify(record)}\n`);
    return record;
  }

  /** Every deploy of `service`, oldest first (file order is the order they were recorded). */
  async deploysOf(service: string): Promise<DeployRecord[]> {
    return (await this.all()).filter((d) => d.service === service);
  }

  async lastDeploy(service: string): Promise<DeployRecord | null> {
    return (await this.deploysOf(service)).at(-1) ?? null;
  }

  async all(): Promise<DeployRecord[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return parseRegistry(text, this.file);
  }
}

/**
 * Lines that are not JSON are torn writes and skipped. A line that is JSON but not a deploy record was
 * written by something else and is refused loudly: guessing would blame or roll back the wrong release.
 */
export function parseRegistry(text: string, file = 'deploy registry'): DeployRecord[] {
  const records: DeployRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return;
    }
    const parsed = deployRecordSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DeployRegistryError(`${file} line ${i + 1}: ${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`);
    }
    records.push(parsed.data);
  });
  return records;
}

async function endsMidLine(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    await handle.close();
  }
}
