// Disk pressure rule: free space or free inodes below their floors, per configured path. A path that
// cannot be read is skipped, not reported as full.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { serviceSchema } from '../../config/schema';
import { createLogger } from '../../observability/logger';
import type { Pm2Client } from '../../pm2/client';
import { diskDetector } from '../../sentinel/detectors/disk';
import { diskShortOf, diskUsage } from '../../sentinel/detectors/disk-usage';

const rule = { minFreePercent: 10, minFreeInodesPercent: 5 };

const cases: Array<{ name: string; usage: { freePercent: number; freeInodesPercent: number | null }; short: string[] }> = [
  { name: 'plenty of both', usage: { freePercent: 50, freeInodesPercent: 50 }, short: [] },
  { name: 'space just below the floor', usage: { freePercent: 9.9, freeInodesPercent: 50 }, short: ['space'] },
  { name: 'space exactly at the floor is fine', usage: { freePercent: 10, freeInodesPercent: 50 }, short: [] },
  { name: 'inodes below the floor', usage: { freePercent: 50, freeInodesPercent: 4 }, short: ['inodes'] },
  { name: 'both below', usage: { freePercent: 1, freeInodesPercent: 1 }, short: ['space', 'inodes'] },
  { name: 'no inode count (btrfs) judges space only', usage: { freePercent: 50, freeInodesPercent: null }, short: [] },
];

for (const c of cases) {
  test(`disk: ${c.name}`, () => assert.deepEqual(diskShortOf(c.usage, rule), c.short));
}

test('diskUsage reads a real filesystem', async () => {
  const usage = await diskUsage(os.tmpdir());
  assert.ok(usage.freePercent >= 0 && usage.freePercent <= 100);
});

const ctx = { pm2: {} as Pm2Client, sentinel: {} as any, logger: createLogger('test') };

test('disk detector: not built without paths; one subject per readable path; 3-of-3 damping by default', async () => {
  assert.equal(diskDetector({ ...ctx, service: serviceSchema.parse({ name: 'svc', basePort: 3000 }) }), null);
  const service = serviceSchema.parse({
    name: 'svc',
    basePort: 3000,
    detectors: { disk: { paths: [os.tmpdir(), '/definitely/not/here'], minFreePercent: 0, minFreeInodesPercent: 0 } },
  });
  const detector = diskDetector({ ...ctx, service })!;
  assert.deepEqual(detector.damping, { samples: 3, failures: 3, holdDownMs: 300_000 });
  const observations = await detector.observe();
  assert.deepEqual(observations.map((o) => [o.subject, o.failing, o.alertName]), [[`path:${os.tmpdir()}`, false, 'DiskPressure']]);

  const strict = diskDetector({ ...ctx, service: serviceSchema.parse({ name: 'svc', basePort: 3000, detectors: { disk: { paths: [os.tmpdir()], minFreePercent: 100 } } }) })!;
  const [full] = await strict.observe();
  assert.equal(full!.failing, true);
  assert.match(full!.summary, /short of space/);
});
