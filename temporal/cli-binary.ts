import fs from 'node:fs';
import path from 'node:path';
import { buildTemporalCliFromSource } from './build-cli-from-source';
import { zeroTouchCacheDir } from './cache-dir';
import { findOnPath, isExecutableFile } from './executables';
import type { ProvisionLog } from './log';

/** The newest CLI tag that `go install` can build; later tags cannot be go-installed (design.md). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const TEMPORAL_CLI_GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

export function cachedTemporalCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(zeroTouchCacheDir(env), 'bin', 'temporal');
}

/**
 * The Temporal CLI to run the dev server with, cheapest source first: an explicit `TEMPORAL_CLI`, one on PATH,
 * our cached build, or a fresh build from source. Null means "no CLI here": the caller falls back to the SDK's
 * download, which needs network access instead of Go.
 */
export async function findOrBuildTemporalCli({ log }: { log: ProvisionLog }): Promise<string | null> {
  const explicit = process.env.TEMPORAL_CLI;
  if (explicit) {
    // An explicit choice that is wrong must fail loudly rather than silently run some other binary.
    if (!isExecutableFile(explicit)) {
      const problem = fs.existsSync(explicit) ? 'is not an executable file' : 'does not exist';
      throw new Error(`TEMPORAL_CLI=${explicit} ${problem}; point TEMPORAL_CLI at a temporal binary or unset it`);
    }
    return explicit;
  }
  const onPath = findOnPath('temporal');
  if (onPath) return onPath;
  const cached = cachedTemporalCliPath();
  if (isExecutableFile(cached)) return cached;
  return buildTemporalCliFromSource({ goPackage: TEMPORAL_CLI_GO_PACKAGE, binDir: path.dirname(cached), log });
}
