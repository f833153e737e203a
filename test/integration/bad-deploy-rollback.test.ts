// A bad deploy through the whole system: the demo target runs through a release layout, a good release
// and then a bad one (dies on start-up) are deployed with `zt deploy`; the sentinel sees every instance
// crash-loop right after the deploy, the incident classifies it (crash-loop + deploy.recent + affected.all
// → rollback-deploy in the shipped catalog), rolls back to the good release, verifies recovery and closes,
// with the bad release still on disk. Second case: a human pauses the incident while the rollback runs and
// signals `revert`; the workflow runs the recorded undo (roll forward to the bad release) and the human
// resolves the incident.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../config/schema';
import { DeployRegistry, type DeployRecord } from '../../deploys/registry';
import { readCurrent } from '../../deploys/releases';
import { humanSignals, timelineQuery } from '../../signals/contract';
import { awaitIncidentRun, awaitStatus, result, status } from '../helpers/incidents';
import { eventually, startTestSystem, waitForHealthy, type TestSystem } from '../helpers/system';
import { runZt } from '../helpers/zt';

const DEMO = path.resolve(__dirname, '../../demo');
const INSTANCES = 2;

/** The raw config `zt deploy` reads: the test system's PM2 daemon and the service with its deploy section. */
function ztConfig(config: Config, appDir: string, registryPath: string): Record<string, unknown> {
  const svc = config.services[0]!;
  return {
    pm2: { home: config.pm2.home },
    services: [{ name: svc.name, basePort: svc.basePort, instances: svc.instances, actions: { deploy: { appDir, registryPath } } }],
  };
}

function zt(rawConfig: Record<string, unknown>, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ZT_CONFIG: JSON.stringify(rawConfig), ZT_OPERATOR: 'release-bot' };
  delete env.PM2_HOME;
  return runZt(args, env, 60_000);
}

/** A release dir built from the demo target; a bad one dies on start-up like a release with a broken module. */
async function makeRelease(tmp: string, name: string, bad: boolean): Promise<string> {
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

/** A test system whose demo runs through `<tmp>/app/current`, on release 1.0.0 deployed with `zt deploy`. */
class ReleasedSystem {
  sys!: TestSystem;
  tmp = '';
  appDir = '';
  registryPath = '';
  raw: Record<string, unknown> = {};

  async start(prefix: string): Promise<void> {
    this.tmp = await mkdtemp(path.join(os.tmpdir(), prefix));
    this.appDir = path.join(this.tmp, 'app');
    this.registryPath = path.join(this.tmp, 'deploys.jsonl');
    const good = await makeRelease(this.tmp, 'good', false);
    this.sys = await startTestSystem({
      instances: INSTANCES,
      appDir: this.appDir,
      actions: { deploy: { appDir: this.appDir, registryPath: this.registryPath } },
      beforeDemoStart: async (config) => {
        this.raw = ztConfig(config, this.appDir, this.registryPath);
        const run = await zt(this.raw, ['deploy', config.services[0]!.name, good, '--version', '1.0.0']);
        assert.equal(run.code, 0, run.stderr);
      },
    });
    await this.sys.startSentinel();
  }

  async stop(): Promise<void> {
    await this.sys?.stop();
    if (this.tmp) await rm(this.tmp, { recursive: true, force: true });
  }

  get service(): string {
    return this.sys.service;
  }

  async releasesServed(): Promise<string[]> {
    return Promise.all(
      Array.from({ length: INSTANCES }, async (_, i) => {
        try {
          const res = await fetch(`${this.sys.instanceUrl(i)}/healthz`, { signal: AbortSignal.timeout(500) });
          return res.ok ? ((await res.json()) as { release: string }).release : 'down';
        } catch {
          return 'down';
        }
      }),
    );
  }

  async records(): Promise<DeployRecord[]> {
    return new DeployRegistry(this.registryPath).deploysOf(this.service);
  }

  /** `zt deploy` of the bad release 2.0.0; resolves once the command has finished (the moment of the fault). */
  async deployBad(): Promise<number> {
    const run = await zt(this.raw, ['deploy', this.service, await makeRelease(this.tmp, 'bad', true), '--version', '2.0.0', '--json']);
    const doneAt = Date.now();
    assert.equal(run.code, 0, run.stderr);
    const record = JSON.parse(run.stdout) as { version: string; previous: string; reloaded: number; kind: string };
    assert.deepEqual([record.version, record.previous, record.reloaded, record.kind], ['2.0.0', '1.0.0', INSTANCES, 'deploy']);
    return doneAt;
  }
}

describe('bad deploy → crash loop → automatic rollback, verified', () => {
  const r = new ReleasedSystem();
  before(() => r.start('zt-bad-deploy-'));
  after(() => r.stop());

  test('the sentinel sees the crash loop after the deploy; rollback-deploy restores the good release and the incident closes', async () => {
    const { sys } = r;
    assert.deepEqual(await r.releasesServed(), ['1.0.0', '1.0.0'], 'the good release runs through current');
    const faultAt = await r.deployBad();
    assert.equal((await readCurrent(r.appDir))?.version, '2.0.0');

    const handle = await awaitIncidentRun(sys.temporal.client, sys.workflowId('availability'));
    const settled = await awaitStatus(handle, 'the incident to close or escalate', (s) => s.phase === 'closed' || s.phase === 'escalated', 90_000);
    const timeline = (await handle.query(timelineQuery)).map((e) => `${e.kind}: ${e.summary}`);
    assert.equal(settled.phase, 'closed', `escalated: ${settled.escalation?.reason}; timeline:\n${timeline.join('\n')}`);
    const report = await result(handle);
    console.log(`# bad deploy: fault → verified recovery by rollback in ${((Date.parse(report.endedAt) - faultAt) / 1000).toFixed(1)} s`);

    assert.equal(report.outcome, 'auto-resolved', timeline.join('\n'));
    assert.equal(report.class, 'process-crash');
    assert.equal(report.signatureId, 'crash-loop');
    assert.deepEqual(
      report.actions.map((a) => a.action),
      ['rollback-deploy'],
      `every instance crash-loops right after a deploy: rollback first, no restart\n${timeline.join('\n')}`,
    );
    const [rollback] = report.actions;
    assert.equal(rollback!.performed, true, rollback!.summary);
    assert.equal(rollback!.verified, true, rollback!.verification ?? '');
    assert.match(rollback!.summary, /back from release 2\.0\.0 to 1\.0\.0/);
    assert.deepEqual(rollback!.undo, { kind: 'roll-forward', why: rollback!.undo.why, service: r.service, fromVersion: '1.0.0', toVersion: '2.0.0' });

    assert.equal((await readCurrent(r.appDir))?.version, '1.0.0', 'current points at the good release');
    assert.ok((await stat(path.join(r.appDir, 'releases', '2.0.0', 'localize-api.js'))).isFile(), 'the bad release is kept for humans');
    await waitForHealthy(sys.basePort, INSTANCES);
    assert.deepEqual(await r.releasesServed(), ['1.0.0', '1.0.0']);
    const last = (await r.records()).at(-1)!;
    assert.deepEqual([last.kind, last.version, last.from, last.by, last.key], ['rollback', '1.0.0', '2.0.0', `zero-touch (${report.incidentId})`, rollback!.idempotencyKey]);
  });
});

describe('bad deploy rolled back, then reverted by a human through the workflow', () => {
  const r = new ReleasedSystem();
  before(() => r.start('zt-bad-deploy-revert-'));
  after(() => r.stop());

  test('paused while the rollback runs, revert rolls forward to the bad release; the human resolves', async () => {
    const { sys } = r;
    assert.deepEqual(await r.releasesServed(), ['1.0.0', '1.0.0']);
    await r.deployBad();
    const handle = await awaitIncidentRun(sys.temporal.client, sys.workflowId('availability'));

    // The rollback records itself in the registry before it switches the link and restarts the instances
    // one at a time, each healthy before the next: pausing as soon as the record appears lands while the
    // action is still running, so the workflow stops at the boundary after it, before verification.
    await eventually('the rollback record in the registry', async () => ((await r.records()).at(-1)?.kind === 'rollback' ? true : undefined), 60_000);
    await handle.signal(humanSignals.pause, { operator: 'alice', reason: 'checking the rollback before it is verified' });
    const paused = await awaitStatus(handle, 'the incident paused after the rollback', (s) => s.phase === 'paused' || s.phase === 'closed' || s.phase === 'escalated', 30_000);
    const timeline = async () => (await handle.query(timelineQuery)).map((e) => `${e.kind}: ${e.summary}`).join('\n');
    assert.equal(paused.phase, 'paused', `the pause came too late or the incident escalated:\n${await timeline()}`);
    assert.deepEqual(paused.actions.map((a) => a.action), ['rollback-deploy'], await timeline());
    const [rollback] = paused.actions;
    assert.equal(rollback!.performed, true, rollback!.summary);
    assert.equal(rollback!.verified, null, 'paused before verification');
    assert.equal((await readCurrent(r.appDir))?.version, '1.0.0');
    await waitForHealthy(sys.basePort, INSTANCES);
    assert.deepEqual(await r.releasesServed(), ['1.0.0', '1.0.0']);

    await handle.signal(humanSignals.revert, { operator: 'alice', reason: 'the release was fine; the database migration was late' });
    const reverted = await awaitStatus(handle, 'the revert to run', (s) => s.actions[0]?.undone === true && s.phase === 'paused', 60_000);
    const entries = await handle.query(timelineQuery);
    const note = entries.find((e) => e.kind === 'reverted' || e.kind === 'revert-failed');
    assert.equal(note?.kind, 'reverted', await timeline());
    assert.match(note.summary, /Reverted rollback-deploy \(attempt 1\): rolled .* forward from release 1\.0\.0 to 2\.0\.0/);
    assert.equal(reverted.outcome, null, 'still open: the human holds it paused');

    assert.equal((await readCurrent(r.appDir))?.version, '2.0.0', 'current points at the bad release again');
    const last = (await r.records()).at(-1)!;
    const incidentId = (await status(handle)).incidentId;
    assert.deepEqual(
      [last.kind, last.version, last.from, last.by, last.key],
      ['roll-forward', '2.0.0', '1.0.0', `zero-touch (${incidentId}, undo)`, `${rollback!.idempotencyKey}/undo`],
    );
    assert.deepEqual((await r.records()).map((x) => x.kind), ['deploy', 'deploy', 'rollback', 'roll-forward']);
    await eventually('the bad release running again (down)', async () => ((await r.releasesServed()).every((x) => x === 'down') ? true : undefined), 15_000);

    await handle.signal(humanSignals.resolve, { operator: 'alice', rootCause: 'migration ran late', fix: 'will redeploy by hand' });
    const report = await result(handle);
    assert.equal(report.outcome, 'resolved-by-human');
    assert.equal(report.actions.length, 1);
    assert.equal(report.actions[0]!.undone, true);
    assert.deepEqual(report.humans.map((h) => `${h.operator}:${h.signal}`), ['alice:pause', 'alice:revert', 'alice:resolve']);
  });
});
