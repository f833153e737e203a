// `zt services` against a real PM2 daemon of its own (temporary PM2_HOME): the JSON the sentinel reads
// must match what PM2 really runs, stay pure JSON however chatty PM2 is, and never start a daemon.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pm2Client } from '../../pm2/client';
import type { ServiceState } from '../../cli/service-states';
import { runZt } from '../helpers/zt';

const APP = 'cli-svc';

let tmpDir = '';
let pm2Home = '';
let pm2: Pm2Client | undefined;

function ztServices(home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const config = {
    pm2: { home },
    services: [
      { name: APP, basePort: 45100, instances: 2 },
      { name: 'cli-missing', basePort: 45200 },
    ],
  };
  const env: NodeJS.ProcessEnv = { ...process.env, ZT_CONFIG: JSON.stringify(config) };
  delete env.PM2_HOME;
  return runZt(['services', '--json'], env);
}

async function services(home = pm2Home): Promise<ServiceState[]> {
  const run = await ztServices(home);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as ServiceState[];
}

before(async () => {
  tmpDir = await mkdtemp(path.join(os.tmpdir(), 'zt-cli-services-'));
  pm2Home = path.join(tmpDir, 'pm2');
  const script = path.join(tmpDir, 'idle.js');
  await writeFile(script, 'setInterval(() => {}, 1000);\n');
  pm2 = await Pm2Client.connect({ home: pm2Home });
  await pm2.start({ name: APP, script, instances: 2, exec_mode: 'fork', interpreter: process.execPath, autorestart: false });
});

after(async () => {
  try {
    await pm2?.killDaemon();
  } finally {
    await pm2?.disconnect();
    await rm(tmpDir, { recursive: true, force: true });
  }
});

test('a service with every instance online is online, with the pids PM2 reports', async () => {
  const running = await pm2!.listApp(APP);
  const [svc, missing] = await services();
  assert.equal(svc?.name, APP);
  assert.equal(svc?.status, 'online');
  assert.deepEqual(new Set(svc?.pids), new Set(running.map((p) => p.pid)));
  assert.equal(svc?.healthUrl, 'http://127.0.0.1:45100/healthz');
  assert.deepEqual(
    svc?.instances.map((i) => i.healthUrl),
    running.sort((a, b) => a.instance - b.instance).map((p) => `http://127.0.0.1:${45100 + p.instance}/healthz`),
  );
  assert.deepEqual(missing, { name: 'cli-missing', status: 'absent', pids: [], healthUrl: 'http://127.0.0.1:45200/healthz', instances: [] });
});

test('with one of two instances gone the service is degraded', async () => {
  const [first] = await pm2!.listApp(APP);
  await pm2!.delete(first!.pmId);
  const [svc] = await services();
  assert.equal(svc?.status, 'degraded');
  assert.equal(svc?.pids.length, 1);
});

test('with no daemon in PM2_HOME every service is absent and no daemon is started', async () => {
  const emptyHome = path.join(tmpDir, 'no-daemon');
  const run = await ztServices(emptyHome);
  assert.equal(run.code, 0, run.stderr);
  const states = JSON.parse(run.stdout) as ServiceState[];
  assert.deepEqual(states.map((s) => s.status), ['absent', 'absent']);
  assert.match(run.stderr, /no PM2 daemon is running/);
  assert.equal(existsSync(path.join(emptyHome, 'rpc.sock')), false);
});
