// `zt` as a process: the bin shim works from any directory, and an unreachable Temporal is one clear
// line on stderr with exit code 2, quickly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { version } from '../../package.json';
import { pickFreePort } from '../../temporal/free-port';

const REPO = path.resolve(__dirname, '../..');
const ZT = path.join(REPO, 'bin/zt.js');

function run(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(file, args, { cwd: opts.cwd ?? REPO, env: opts.env ?? process.env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('the bin shim runs from another directory, directly and through node', async () => {
  const [direct, viaNode] = await Promise.all([
    run(ZT, ['--help'], { cwd: os.tmpdir() }),
    run(process.execPath, [ZT, 'incidents', '--help'], { cwd: os.tmpdir() }),
  ]);
  assert.equal(direct.code, 0, direct.stderr);
  assert.match(direct.stdout, /^Usage: zt /);
  assert.match(direct.stdout, /takeover \[options\] <ref>/);
  assert.equal(viaNode.code, 0, viaNode.stderr);
  assert.match(viaNode.stdout, /--limit <n>/);
});

test('npx zt resolves the package bin', async () => {
  const npx = await run('npx', ['--no-install', 'zt', '--version']);
  assert.equal(npx.code, 0, npx.stderr);
  assert.equal(npx.stdout.trim(), version);
});

test('an unreachable Temporal exits 2 with one line naming the address', async () => {
  const port = await pickFreePort();
  const started = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${port}` };
  delete env.ZT_CONFIG;
  const out = await run(process.execPath, [ZT, 'incidents', '--json'], { env });
  assert.equal(out.code, 2);
  assert.equal(out.stdout, '');
  assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr);
  assert.match(out.stderr, new RegExp(`^zt: cannot reach Temporal at 127\\.0\\.0\\.1:${port} `));
  assert.ok(Date.now() - started < 15_000, 'the connect timeout is short');
});

test('usage errors exit 2', async () => {
  const out = await run(process.execPath, [ZT, 'incidents', '--open', '--closed']);
  assert.equal(out.code, 2);
  assert.match(out.stderr, /cannot be used with option/);
});
