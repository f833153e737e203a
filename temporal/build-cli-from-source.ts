import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findOnPath, isExecutableFile } from './executables';
import { withBuildLock } from './build-lock';
import { OutputTail } from './output-tail';
import type { ProvisionLog } from './log';

const HEARTBEAT_MS = 15_000;
// A cold build takes ~5 minutes here (module download + compile); a hung one must not hang `npm start` forever.
const BUILD_TIMEOUT_MS = 30 * 60_000;
const OUTPUT_TAIL_LINES = 60;
// Official Go installs land here without always being on a non-login shell's PATH.
const WELL_KNOWN_GO = '/usr/local/go/bin/go';

export interface BuildCliOptions {
  /** A `go install` target with its version, e.g. `github.com/temporalio/cli/cmd/temporal@v1.5.1`. */
  goPackage: string;
  /** Where the finished `temporal` binary belongs. */
  binDir: string;
  log: ProvisionLog;
}

/**
 * Builds the Temporal CLI with `go install` into `binDir/temporal`. Returns null (after saying why) when Go is
 * missing or the build fails, so the caller can fall back to the SDK's own download.
 */
export async function buildTemporalCliFromSource({ goPackage, binDir, log }: BuildCliOptions): Promise<string | null> {
  const go = findOnPath('go') ?? (isExecutableFile(WELL_KNOWN_GO) ? WELL_KNOWN_GO : null);
  if (!go) {
    log.warn('Go is not installed, so the Temporal CLI cannot be built from source');
    return null;
  }
  fs.mkdirSync(binDir, { recursive: true });
  const target = path.join(binDir, 'temporal');
  return withBuildLock(path.join(binDir, '.temporal-build.lock'), log, async () => {
    if (isExecutableFile(target)) return target; // another process finished the build while we waited
    return goInstall(go, goPackage, target, log);
  });
}

async function goInstall(go: string, goPackage: string, target: string, log: ProvisionLog): Promise<string | null> {
  // `go install` may write the binary in place; installing into a private directory and renaming makes the
  // cached binary appear whole, so a concurrent start never executes a half-written file.
  const staging = fs.mkdtempSync(path.join(path.dirname(target), '.staging-'));
  try {
    log.info(`building the Temporal CLI from source (${goPackage}), the first build takes a few minutes…`);
    const result = await runWithHeartbeat(go, ['install', goPackage], { ...process.env, GOBIN: staging }, log);
    const built = path.join(staging, 'temporal');
    if (result.ok && isExecutableFile(built)) {
      fs.renameSync(built, target);
      log.info(`built the Temporal CLI in ${result.seconds} s: ${target}`);
      return target;
    }
    log.warn(`building the Temporal CLI failed (${result.reason}); go output:\n${result.outputTail}`);
    return null;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

interface BuildResult {
  ok: boolean;
  reason: string;
  seconds: number;
  outputTail: string;
}

function runWithHeartbeat(command: string, args: string[], env: NodeJS.ProcessEnv, log: ProvisionLog): Promise<BuildResult> {
  const started = Date.now();
  const elapsedSeconds = () => Math.round((Date.now() - started) / 1000);
  const tail = new OutputTail(OUTPUT_TAIL_LINES);
  const remember = (chunk: Buffer) => tail.push(chunk);
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', remember);
    child.stderr.on('data', remember);
    const heartbeat = setInterval(() => log.info(`still building the Temporal CLI… ${elapsedSeconds()} s elapsed`), HEARTBEAT_MS);
    const timeout = setTimeout(() => {
      tail.push(`\n(gave up after ${BUILD_TIMEOUT_MS / 60_000} minutes)\n`);
      child.kill('SIGKILL');
    }, BUILD_TIMEOUT_MS);
    const finish = (ok: boolean, reason: string) => {
      clearInterval(heartbeat);
      clearTimeout(timeout);
      resolve({ ok, reason, seconds: elapsedSeconds(), outputTail: tail.text() });
    };
    child.on('error', (error) => finish(false, `could not run ${command}: ${error.message}`));
    child.on('close', (code, signal) => finish(code === 0, signal ? `killed by ${signal}` : `exit code ${code}`));
  });
}
