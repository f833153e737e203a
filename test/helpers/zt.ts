// Runs the `zt` CLI the way an operator does: bin/zt.js in a child process with its own environment.
import { execFile } from 'node:child_process';
import path from 'node:path';

export const ZT_BIN = path.resolve(__dirname, '../../bin/zt.js');

export interface ZtRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runZt(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<ZtRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ZT_BIN, ...args], { env, timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
