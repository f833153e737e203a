// The forced rollback, on a real PM2 daemon (own PM2_HOME) running the real demo target through a release
// layout: a good release and then a bad one are deployed with `zt deploy`; the rollback activity puts the
// good one back (health returns, the bad release stays on disk), a re-run with the same key does nothing,
// a second rollback is refused (never more than one release back), and the undo rolls forward.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { rollbackDeploy, rollForwardDeploy } from '../../activities/actions/deploy';
import type { ActivityDeps } from '../../activities/deps';
import { InvalidRequestError } from '../../activities/errors';
import { parseConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { demoApp, demoInstanceUrl } from '../../demo/ecosystem';
import { DeployRegistry } from '../../deploys/registry';
import { readCurrent } from '../../deploys/releases';
import { createLogger } from '../../observability/logger';
import { Pm2Client } from '../../pm2/client';
import type { ActionRequest, ActionOutcome, UndoOutcome } from '../../signals/actions';
import { eventually, freePortRange, waitForHealthy } from '../helpers/system';
import { runZt } from '../helpers/zt';

const DEMO = path.resolve(__dirname, '../../demo');
const INSTANCES = 2;

let tmp = '';
let appDir = '';
let registryPath = '';
let basePort = 0;
let service = '';
let rawConfig: Record<string, unknown> = {};
let config: Config;
let pm2: Pm2Client | undefined;

function zt(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ZT_CONFIG: JSON.stringify(rawConfig), ZT_OPERATOR: 'release-bot' };
  delete env.PM2_HOME;
  return runZt(args, env, 60_000);
}

/** A release dir built from the demo target; a bad one dies on start-up like a release with a broken module. */
async function makeRelease(name: string, bad: boolean): Promise<string> {
  const dir = path.join(tmp, 'src', name);
  await mkdir(dir, { recursive: true });
  await cp(path.join(DEMO, 'localize-api'), path.join(dir, 'localize-api'), { recursive: true });
  const main = await readFile(path.join(DEMO, 'localize-api.js'), 'utf8');
  await writeFile(path.join(dir, 'localize-api.js'), bad ? `throw new Error('bad release: the translations table this build expects does not exist');\n${main}` : main);
  // A release ships its dependencies; this one borrows the project's (prom-client).
  await symlink(path.resolve(DEMO, '..', 'node_modules'), path.join(dir, 'node_modules'));
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'localize-api', version: bad ? '2.0.0' : '1.0.0' }));
  return dir;
}

async function health(instance: number): Promise<{ ok: boolean; release?: string; pid?: number }> {
  try {
    const res = await fetch(`${demoInstanceUrl(basePort, instance)}/healthz`, { signal: AbortSignal.timeout(500) });
    const body = (await res.json()) as { release: string; pid: number };
    return { ok: res.ok, release: body.release, pid: body.pid };
  } catch {
    return { ok: false };
  }
}

const allInstances = Array.from({ length: INSTANCES }, (_, i) => i);

async function releasesServed(): Promise<string[]> {
  return Promise.all(allInstances.map(async (i) => (await health(i)).release ?? 'down'));
}

function deps(): ActivityDeps {
  return { config, pm2: pm2!, logger: createLogger('test') };
}

const KEY = 'INC-rb-1/attempt-1/rollback-deploy';
function rollbackRequest(key = KEY): ActionRequest {
  return { service, incidentId: 'INC-rb-1', idempotencyKey: key, pmIds: [], maxOutOfService: 1 };
}

function runRollback(req: ActionRequest): Promise<ActionOutcome> {
  return new MockActivityEnvironment().run(rollbackDeploy, deps(), req);
}

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'zt-rollback-'));
  appDir = path.join(tmp, 'app');
  registryPath = path.join(tmp, 'deploys.jsonl');
  basePort = await freePortRange(INSTANCES);
  service = `rb-api-${Math.random().toString(36).slice(2, 8)}`;
  rawConfig = {
    pm2: { home: path.join(tmp, 'pm2') },
    services: [{ name: service, basePort, instances: INSTANCES, actions: { deploy: { appDir, registryPath } } }],
  };
  config = parseConfig(rawConfig);
  pm2 = await Pm2Client.connect({ home: path.join(tmp, 'pm2') });
});

after(async () => {
  try {
    await pm2?.killDaemon().catch(() => undefined);
    await pm2?.disconnect();
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('zt deploy installs the good release; the demo runs it through current', async () => {
  const run = await zt(['deploy', service, await makeRelease('good', false), '--version', '1.0.0']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /deployed .* 1\.0\.0: .*current → releases\/1\.0\.0; not running under PM2/);
  assert.equal((await readCurrent(appDir))?.version, '1.0.0');
  await pm2!.start(demoApp({ name: service, instances: INSTANCES, basePort, stateDir: path.join(tmp, 'demo'), appDir }));
  await waitForHealthy(basePort, INSTANCES);
  assert.deepEqual(await releasesServed(), ['1.0.0', '1.0.0']);
});

test('a bad release deployed with zt deploy takes the service down', async () => {
  const run = await zt(['deploy', service, await makeRelease('bad', true), '--version', '2.0.0', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const record = JSON.parse(run.stdout) as { version: string; previous: string; reloaded: number; by: string; kind: string };
  assert.deepEqual([record.version, record.previous, record.reloaded, record.by, record.kind], ['2.0.0', '1.0.0', INSTANCES, 'release-bot', 'deploy']);
  assert.equal((await readCurrent(appDir))?.version, '2.0.0');
  await eventually('every instance down on the bad release', async () => ((await releasesServed()).every((r) => r === 'down') ? true : undefined), 15_000);
});

let undo: ActionOutcome['undo'];

test('rollbackDeploy puts the previous release back, health returns, the bad release stays on disk', async () => {
  const outcome = await runRollback(rollbackRequest());
  assert.equal(outcome.performed, true, outcome.summary);
  assert.match(outcome.summary, /rolled rb-api-\w+ back from release 2\.0\.0 to 1\.0\.0/);
  assert.deepEqual(outcome.undo, {
    kind: 'roll-forward',
    why: outcome.undo.why,
    service,
    fromVersion: '1.0.0',
    toVersion: '2.0.0',
  });
  undo = outcome.undo;
  assert.equal((await readCurrent(appDir))?.version, '1.0.0');
  await waitForHealthy(basePort, INSTANCES);
  assert.deepEqual(await releasesServed(), ['1.0.0', '1.0.0']);
  assert.ok((await stat(path.join(appDir, 'releases', '2.0.0', 'localize-api.js'))).isFile(), 'the bad release is kept for humans');
  const last = await new DeployRegistry(registryPath).lastDeploy(service);
  assert.equal(last?.kind, 'rollback');
  assert.equal(last?.version, '1.0.0');
  assert.equal(last?.from, '2.0.0');
  assert.equal(last?.by, 'zero-touch (INC-rb-1)');
  assert.equal(last?.key, KEY);
});

test('the same rollback re-run after success does nothing and returns the same undo', async () => {
  const registry = new DeployRegistry(registryPath);
  const recordsBefore = (await registry.deploysOf(service)).length;
  const pidsBefore = (await pm2!.listApp(service)).map((p) => p.pid);
  const outcome = await runRollback(rollbackRequest());
  assert.equal(outcome.performed, false, outcome.summary);
  assert.deepEqual(outcome.undo, undo);
  assert.equal((await registry.deploysOf(service)).length, recordsBefore);
  assert.deepEqual((await pm2!.listApp(service)).map((p) => p.pid), pidsBefore);
});

test('a second automatic rollback (another incident) is refused: never more than one release back', async () => {
  await assert.rejects(runRollback(rollbackRequest('INC-rb-2/attempt-1/rollback-deploy')), (err: Error) => {
    assert.ok(err instanceof InvalidRequestError || err.name === 'InvalidRequestError', String(err));
    assert.match(err.message, /already a rollback .*at most one release/);
    return true;
  });
  assert.equal((await readCurrent(appDir))?.version, '1.0.0');
});

test('rollForwardDeploy switches back to the rolled-back release, once', async () => {
  const env = () => new MockActivityEnvironment();
  const req = { service, incidentId: 'INC-rb-1', idempotencyKey: `${KEY}/undo`, undo };
  const first: UndoOutcome = await env().run(rollForwardDeploy, deps(), req);
  assert.equal(first.performed, true, first.summary);
  assert.match(first.summary, /forward from release 1\.0\.0 to 2\.0\.0/);
  assert.equal((await readCurrent(appDir))?.version, '2.0.0');
  const last = await new DeployRegistry(registryPath).lastDeploy(service);
  assert.deepEqual([last?.kind, last?.version, last?.from, last?.by], ['roll-forward', '2.0.0', '1.0.0', 'zero-touch (INC-rb-1, undo)']);
  const again: UndoOutcome = await env().run(rollForwardDeploy, deps(), req);
  assert.equal(again.performed, false, again.summary);
  assert.equal((await new DeployRegistry(registryPath).deploysOf(service)).length, 4);
  await eventually('the bad release is running again (down)', async () => ((await releasesServed()).every((r) => r === 'down') ? true : undefined), 15_000);
});
