// `zt deploy` argument errors, through the real CLI: each refusal exits 2 with a message naming what is
// wrong and leaves nothing behind (no release dir, no registry line, no current link). A deploy with no
// PM2 daemon installs, switches and records without starting one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runZt } from '../helpers/zt';


let tmp = '';
let appDir = '';
let registry = '';
let release = '';

function zt(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const config = {
    pm2: { home: path.join(tmp, 'pm2') },
    services: [
      { name: 'web', basePort: 45300, actions: { deploy: { appDir, registryPath: registry } } },
      { name: 'plain', basePort: 45310 },
    ],
  };
  const full: NodeJS.ProcessEnv = { ...process.env, ZT_CONFIG: JSON.stringify(config), ZT_OPERATOR: 'ci', ...env };
  return runZt(args, full);
}

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'zt-cli-deploy-'));
  appDir = path.join(tmp, 'app');
  registry = path.join(tmp, 'deploys.jsonl');
  release = path.join(tmp, 'build');
  await mkdir(release);
  await writeFile(path.join(release, 'server.js'), 'console.log("hi")\n');
});

after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const refusals: Array<{ name: string; args: () => string[]; message: RegExp }> = [
  { name: 'an unknown service', args: () => ['deploy', 'nope', release, '--version', 'v1'], message: /unknown service "nope" \(configured: web, plain\)/ },
  { name: 'a service without actions.deploy', args: () => ['deploy', 'plain', release, '--version', 'v1'], message: /"plain" has no actions\.deploy section/ },
  { name: 'a missing release dir', args: () => ['deploy', 'web', path.join(tmp, 'missing'), '--version', 'v1'], message: /release directory .*missing does not exist/ },
  { name: 'a version that is not a directory name', args: () => ['deploy', 'web', release, '--version', '../v1'], message: /release version "\.\.\/v1" is not usable/ },
  { name: 'no --version and no package.json', args: () => ['deploy', 'web', release], message: /has no package\.json to take the version from: pass --version/ },
];

for (const r of refusals) {
  test(`zt deploy refuses ${r.name} (exit 2), leaving nothing behind`, async () => {
    const run = await zt(r.args());
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, r.message);
    assert.equal(existsSync(appDir), false);
    assert.equal(existsSync(registry), false);
  });
}

test('zt deploy without its arguments is a usage error', async () => {
  const run = await zt(['deploy', 'web']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /missing required argument 'release-dir'/);
});

test('a deploy with no PM2 daemon installs, switches and records; the same version again is refused', async () => {
  const first = await zt(['deploy', 'web', release, '--version', '1.0.0', '--by', 'alice']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /deployed web 1\.0\.0: .*current → releases\/1\.0\.0; not running under PM2/);
  assert.equal(existsSync(path.join(tmp, 'pm2')), false, 'no PM2 daemon or PM2_HOME is created');
  assert.deepEqual(await readdir(path.join(appDir, 'releases')), ['1.0.0']);
  const lines = (await readFile(registry, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    lines.map((l) => [l.service, l.version, l.by, l.kind]),
    [['web', '1.0.0', 'alice', 'deploy']],
  );

  const again = await zt(['deploy', 'web', release, '--version', '1.0.0']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /release 1\.0\.0 already exists .*never overwritten/);
  assert.equal((await readFile(registry, 'utf8')).trim().split('\n').length, 1);

  await writeFile(path.join(release, 'package.json'), JSON.stringify({ version: '1.1.0' }));
  const stamped = await zt(['deploy', 'web', release, '--json']);
  assert.equal(stamped.code, 0, stamped.stderr);
  const record = JSON.parse(stamped.stdout) as { version: string; previous: string; by: string };
  assert.match(record.version, /^1\.1\.0-\d{8}T\d{6}Z$/);
  assert.equal(record.previous, '1.0.0');
  assert.equal(record.by, 'ci');
});
