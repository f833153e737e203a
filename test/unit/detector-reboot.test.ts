// Node reboot rule: the boot id, or the PM2 daemon's pid, differs from the first value read. Nothing is
// persisted; a missing pid file (daemon down) is no verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { serviceSchema } from '../../config/schema';
import { createLogger } from '../../observability/logger';
import type { Pm2Client } from '../../pm2/client';
import { ChangedSinceStart } from '../../sentinel/detectors/changed-since-start';
import { rebootDetector } from '../../sentinel/detectors/reboot';

const cases: Array<{ name: string; reads: Array<string | null>; expected: Array<boolean | null> }> = [
  { name: 'unchanged', reads: ['a', 'a', 'a'], expected: [false, false, false] },
  { name: 'changed stays changed', reads: ['a', 'b', 'b'], expected: [false, true, true] },
  { name: 'unreadable at first: the first readable value is the baseline', reads: [null, 'a', 'b'], expected: [null, false, true] },
  { name: 'unreadable later: no verdict, then compared again', reads: ['a', null, 'a'], expected: [false, null, false] },
];

for (const c of cases) {
  test(`changed since start: ${c.name}`, () => {
    const watch = new ChangedSinceStart();
    assert.deepEqual(c.reads.map((r) => watch.check(r)?.changed ?? null), c.expected);
  });
}

test('reboot detector: boot id and PM2 daemon pid changes raise their own alerts', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-reboot-'));
  try {
    const bootIdPath = path.join(dir, 'boot_id');
    const pidFile = path.join(dir, 'pm2.pid');
    await writeFile(bootIdPath, 'boot-1\n');
    const stateFile = path.join(dir, 'last-boot.json');
    const service = serviceSchema.parse({ name: 'svc', basePort: 3000, detectors: { reboot: { bootIdPath, stateFile } } });
    const detector = rebootDetector({ service, pm2: { home: dir } as Pm2Client, sentinel: {} as any, logger: createLogger('test') })!;
    const verdicts = async () => Object.fromEntries((await detector.observe()).map((o) => [o.alertName, o.failing]));

    assert.deepEqual(await verdicts(), { NodeRebooted: false });
    await writeFile(pidFile, '4242');
    assert.deepEqual(await verdicts(), { NodeRebooted: false, Pm2DaemonRestarted: false });
    await writeFile(pidFile, '5151');
    assert.deepEqual(await verdicts(), { NodeRebooted: false, Pm2DaemonRestarted: true });
    await writeFile(bootIdPath, 'boot-2\n');
    assert.deepEqual(await verdicts(), { NodeRebooted: true, Pm2DaemonRestarted: true });
    assert.equal(detector.damping.failures, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('reboot detector: a boot id that changed while the sentinel was down is a reboot; another host\'s is not', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-reboot-'));
  try {
    const bootIdPath = path.join(dir, 'boot_id');
    const stateFile = path.join(dir, 'last-boot.json');
    const service = serviceSchema.parse({ name: 'svc', basePort: 3000, detectors: { reboot: { bootIdPath, stateFile } } });
    const fresh = () => rebootDetector({ service, pm2: { home: dir } as Pm2Client, sentinel: {} as any, logger: createLogger('test') })!;
    const rebooted = async () => (await fresh().observe()).find((o) => o.alertName === 'NodeRebooted')?.failing;

    await writeFile(bootIdPath, 'boot-1\n');
    assert.equal(await rebooted(), false, 'first run ever: nothing to compare with');
    assert.equal(await rebooted(), false, 'restarted on the same boot');
    await writeFile(bootIdPath, 'boot-2\n');
    assert.equal(await rebooted(), true, 'the host rebooted while the sentinel was down');
    assert.equal(await rebooted(), false, 'and that reboot is reported once, not on every later start');

    await writeFile(stateFile, JSON.stringify({ hostname: 'another-host', bootId: 'boot-0' }));
    assert.equal(await rebooted(), false, 'a state file from another host is ignored');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
