// CPU spike rule: at or above the threshold for sustainedMs without a break. A short burst, a dip in the
// middle and a restart (new pid) all start the streak over.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { serviceSchema } from '../../config/schema';
import { createLogger } from '../../observability/logger';
import type { Pm2Client } from '../../pm2/client';
import { cpuDetector } from '../../sentinel/detectors/cpu';
import { isSustained, nextStreak, noStreak } from '../../sentinel/detectors/cpu-streak';

const THRESHOLD = 90;
const SUSTAINED = 10_000;

/** Feeds one reading a second and returns the sustained verdict after each. */
function verdicts(readings: number[]): string {
  let streak = noStreak();
  return readings
    .map((cpu, i) => {
      streak = nextStreak(streak, cpu, i * 1000, THRESHOLD);
      return isSustained(streak, i * 1000, SUSTAINED) ? 'S' : '.';
    })
    .join('');
}

const cases: Array<{ name: string; readings: number[]; expected: string }> = [
  { name: '100% for 12 s is a spike from the 11th reading', readings: Array(12).fill(100), expected: '..........SS' },
  { name: 'exactly at the threshold counts', readings: Array(11).fill(90), expected: '..........S' },
  { name: 'a 5 s burst is not a spike', readings: [...Array(5).fill(100), ...Array(10).fill(5)], expected: '...............' },
  { name: 'one dip below the threshold starts over', readings: [...Array(8).fill(100), 40, ...Array(8).fill(100)], expected: '.................' },
  { name: 'just below the threshold for long is not a spike', readings: Array(20).fill(89), expected: '....................' },
];

for (const c of cases) {
  test(`cpu: ${c.name}`, () => assert.equal(verdicts(c.readings), c.expected));
}

test('cpu detector: a new pid restarts the streak; windowed damping by default', async () => {
  mock.timers.enable({ apis: ['Date'], now: 0 });
  try {
    const service = serviceSchema.parse({ name: 'svc', basePort: 3000, detectors: { cpu: { percent: 80, sustainedMs: 3000 } } });
    let pid = 1;
    const pm2 = { home: '/x', listApp: async () => [{ instance: 0, pmId: 0, pid, status: 'online', cpuPercent: 100 }] } as unknown as Pm2Client;
    const detector = cpuDetector({ service, pm2, sentinel: {} as any, logger: createLogger('test') })!;
    assert.deepEqual(detector.damping, { samples: 1, failures: 1, holdDownMs: 30_000 });
    const seen: boolean[] = [];
    for (let s = 0; s < 8; s++) {
      if (s === 3) pid = 2;
      seen.push((await detector.observe())[0]!.failing);
      mock.timers.tick(1000);
    }
    // pid 1 is high from 0 s to 2 s (not yet 3 s); pid 2 starts at 3 s and is a spike from 6 s.
    assert.deepEqual(seen, [false, false, false, false, false, false, true, true]);
  } finally {
    mock.timers.reset();
  }
});
