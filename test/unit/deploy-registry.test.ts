// The deploy registry: append and read back, last deploy per service, torn lines skipped and repaired by
// the next append, foreign lines refused.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeployRegistry, DeployRegistryError, parseRegistry } from '../../deploys/registry';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function registry(): Promise<DeployRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-deploys-'));
  dirs.push(dir);
  return new DeployRegistry(path.join(dir, 'nested', 'deploys.jsonl'));
}

test('a missing registry has no deploys', async () => {
  const r = await registry();
  assert.deepEqual(await r.deploysOf('api'), []);
  assert.equal(await r.lastDeploy('api'), null);
});

test('append, then read back per service in order; last is the latest recorded', async () => {
  const r = await registry();
  await r.recordDeploy({ service: 'api', version: 'v1', at: '2025-01-01T00:00:00Z', by: 'alice' });
  await r.recordDeploy({ service: 'web', version: 'w1', at: new Date('2025-01-01T00:01:00Z'), by: 'bob' });
  const v2 = await r.recordDeploy({ service: 'api', version: 'v2', path: '/srv/api/releases/v2', at: '2025-01-01T00:02:00Z', by: 'ci' });
  assert.deepEqual(v2, { service: 'api', version: 'v2', path: '/srv/api/releases/v2', at: '2025-01-01T00:02:00.000Z', by: 'ci' });
  assert.deepEqual((await r.deploysOf('api')).map((d) => d.version), ['v1', 'v2']);
  assert.equal((await r.lastDeploy('api'))?.version, 'v2');
  assert.equal((await r.lastDeploy('web'))?.version, 'w1');
});

test('`at` defaults to now', async () => {
  const r = await registry();
  const before = Date.now();
  const d = await r.recordDeploy({ service: 'api', version: 'v1', by: 'alice' });
  assert.ok(Date.parse(d.at) >= before - 1 && Date.parse(d.at) <= Date.now());
});

test('invalid records are refused before anything is written', async () => {
  const r = await registry();
  await assert.rejects(r.recordDeploy({ service: 'api', version: '', by: 'alice' }));
  await assert.rejects(r.recordDeploy({ service: 'api', version: 'v1', by: 'alice', at: 'yesterday' }));
  assert.deepEqual(await r.deploysOf('api'), []);
});

test('a torn last line is skipped, and the next append starts on a fresh line', async () => {
  const r = await registry();
  await r.recordDeploy({ service: 'api', version: 'v1', by: 'alice' });
  await appendFile(r.file, '{"service":"api","version":"v2","at":"2025-');
  assert.deepEqual((await r.deploysOf('api')).map((d) => d.version), ['v1']);
  await r.recordDeploy({ service: 'api', version: 'v3', by: 'alice' });
  assert.deepEqual((await r.deploysOf('api')).map((d) => d.version), ['v1', 'v3']);
  assert.equal((await readFile(r.file, 'utf8')).split('\n').length, 4);
});

const parseCases: Array<[string, string, string[] | RegExp]> = [
  ['empty file', '', []],
  ['blank lines', '\n\n', []],
  ['torn line in the middle (repaired by a later append)', `{"service":"a","version":"1","at":"2025-01-01T00:00:00Z","by":"x"}\n{"serv\n{"service":"a","version":"2","at":"2025-01-01T00:00:00Z","by":"x"}\n`, ['1', '2']],
  ['JSON that is not a deploy names its line', `{"service":"a","version":"1","at":"2025-01-01T00:00:00Z","by":"x"}\n{"service":"a"}\n`, /line 2: version/],
];
for (const [name, text, want] of parseCases) {
  test(`parseRegistry: ${name}`, () => {
    if (want instanceof RegExp) return assert.throws(() => parseRegistry(text), (e: unknown) => e instanceof DeployRegistryError && want.test(e.message));
    assert.deepEqual(parseRegistry(text).map((d) => d.version), want);
  });
}

test('a registry file holding foreign JSON is refused, not guessed at', async () => {
  const r = await registry();
  await r.recordDeploy({ service: 'api', version: 'v1', by: 'alice' });
  await writeFile(r.file, '{"hello":"world"}\n', { flag: 'a' });
  await assert.rejects(r.lastDeploy('api'), DeployRegistryError);
});
