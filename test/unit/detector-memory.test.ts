// Memory leak rule: sustained, steady growth over most of the window, or a ceiling held for several
// readings. A GC sawtooth, one high reading, a short history and a restart (new pid) are not leaks.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { serviceSchema } from '../../config/schema';
import { createLogger } from '../../observability/logger';
import type { Pm2Client, Pm2Process } from '../../pm2/client';
import { linearFit } from '../../sentinel/detectors/linear-fit';
import { judgeMemory, trimToWindow, type RssSample } from '../../sentinel/detectors/memory-trend';
import { memoryDetector } from '../../sentinel/detectors/memory';

const WINDOW = 60_000;
const rule = { windowMs: WINDOW, growthMbPerMinute: 30 };

/** One sample a second for `seconds`, RSS given by `mb(t)` with t in seconds. */
function series(seconds: number, mb: (t: number) => number): RssSample[] {
  return Array.from({ length: seconds + 1 }, (_, t) => ({ at: t * 1000, mb: mb(t) }));
}

const cases: Array<{ name: string; samples: RssSample[]; rule?: Partial<typeof rule> & { maxRssMb?: number }; leaking: boolean; reason?: string }> = [
  { name: 'steady growth of 60 MB/min over the whole window', samples: series(60, (t) => 100 + t), leaking: true, reason: 'growth' },
  { name: 'steady growth with allocation noise', samples: series(60, (t) => 100 + t + (t % 3) * 2), leaking: true, reason: 'growth' },
  { name: 'flat memory', samples: series(60, () => 150), leaking: false },
  { name: 'growth below the threshold (10 MB/min)', samples: series(60, (t) => 100 + t / 6), leaking: false },
  {
    name: 'GC sawtooth: climbs 40 MB then drops back, every 15 s',
    samples: series(60, (t) => 100 + ((t % 15) * 40) / 15),
    leaking: false,
  },
  {
    name: 'GC sawtooth caught mid-climb at the window edge still has no trend',
    samples: series(60, (t) => 100 + (((t + 7) % 20) * 60) / 20),
    leaking: false,
  },
  {
    name: 'grew fast for 35 s, then settled (allocator kept the pages): no longer growing, not a leak',
    samples: series(60, (t) => 100 + Math.min(t, 35) * 2),
    leaking: false,
  },
  {
    name: 'growth that slowed but still climbs in the newer half is a leak',
    samples: series(60, (t) => 100 + (t < 30 ? t * 1.5 : 45 + (t - 30) * 0.6)),
    leaking: true,
    reason: 'growth',
  },
  { name: 'fast growth seen for only 20 s of a 60 s window', samples: series(20, (t) => 100 + 5 * t), leaking: false },
  { name: 'one reading far above the rest', samples: series(60, (t) => (t === 60 ? 900 : 120)), rule: { maxRssMb: 500 }, leaking: false },
  { name: 'two readings above the ceiling', samples: series(60, (t) => (t >= 59 ? 900 : 120)), rule: { maxRssMb: 500 }, leaking: false },
  { name: 'three readings in a row above the ceiling', samples: series(60, (t) => (t >= 58 ? 900 : 120)), rule: { maxRssMb: 500 }, leaking: true, reason: 'ceiling' },
  { name: 'ceiling held from the first three samples', samples: series(2, () => 600), rule: { maxRssMb: 500 }, leaking: true, reason: 'ceiling' },
  { name: 'fewer than five samples', samples: [{ at: 0, mb: 100 }, { at: 30_000, mb: 200 }, { at: 60_000, mb: 300 }], leaking: false },
];

for (const c of cases) {
  test(`memory: ${c.name} → ${c.leaking ? 'leak' : 'no leak'}`, () => {
    const verdict = judgeMemory(c.samples, { ...rule, ...c.rule });
    assert.equal(verdict.leaking, c.leaking, JSON.stringify(verdict));
    if (c.reason) assert.equal(verdict.reason, c.reason);
  });
}

test('memory: the demo sawtooth\'s shape (climb over 3/4 of a tooth, drop) after an idle stretch is never a leak, at any phase', () => {
  // As the detector sees it: each new reading appended and the history trimmed to the window. Teeth of half
  // the window (two per window) and shorter; the first 20 s are idle, so the onset is judged too.
  for (const period of [10, 15, 20, 30]) {
    const rise = period * 0.75;
    let history: RssSample[] = [];
    for (let t = 0; t <= 5 * 60; t++) {
      const phase = (t - 20) % period;
      const mb = t < 20 ? 55 : 55 + (phase < rise ? (64 * (phase + 1)) / rise : 0);
      history = trimToWindow([...history, { at: t * 1000, mb }], WINDOW);
      const verdict = judgeMemory(history, rule);
      assert.equal(verdict.leaking, false, `period ${period} s, t=${t} s: ${JSON.stringify(verdict)}`);
    }
  }
});

test('linearFit: slope, intercept and a perfect fit', () => {
  const fit = linearFit([{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 5 }])!;
  assert.equal(fit.slope, 2);
  assert.equal(fit.intercept, 1);
  assert.equal(fit.r2, 1);
  assert.equal(linearFit([{ x: 1, y: 1 }]), null);
  assert.equal(linearFit([{ x: 1, y: 1 }, { x: 1, y: 2 }]), null);
});

test('trimToWindow keeps only samples within the window of the newest', () => {
  assert.deepEqual(trimToWindow(series(90, () => 1), WINDOW).map((s) => s.at / 1000), Array.from({ length: 61 }, (_, i) => i + 30));
});

function fakePm2(list: () => Partial<Pm2Process>[]): Pm2Client {
  return { home: '/nonexistent', listApp: async () => list().map((p) => ({ instance: 0, status: 'online', pmId: 0, ...p })) } as unknown as Pm2Client;
}

test('memory detector: a restart (new pid) starts the history over, so growth across restarts is no leak', async () => {
  mock.timers.enable({ apis: ['Date'], now: 0 });
  try {
    const service = serviceSchema.parse({ name: 'svc', basePort: 3000, detectors: { memory: { windowMs: 10_000, growthMbPerMinute: 30 } } });
    let pid = 100;
    let mb = 100;
    const detector = memoryDetector({ service, pm2: fakePm2(() => [{ pid, memoryBytes: mb * 1024 * 1024 }]), sentinel: {} as any, logger: createLogger('test') })!;
    assert.deepEqual(detector.damping, { samples: 1, failures: 1, holdDownMs: 30_000 });
    const verdicts: boolean[] = [];
    for (let s = 0; s <= 20; s++) {
      // Each new process starts higher than the last: a staircase of restarts, not a leak in any one process.
      if (s % 5 === 0) pid += 1;
      mb += 10;
      mock.timers.tick(s === 0 ? 0 : 1000);
      verdicts.push((await detector.observe())[0]!.failing);
    }
    assert.ok(verdicts.every((f) => !f), `no leak reported: ${verdicts.join(',')}`);

    // The same growth inside one process is a leak once it spans most of the window.
    const steady = memoryDetector({ service, pm2: fakePm2(() => [{ pid: 7, memoryBytes: mb * 1024 * 1024 }]), sentinel: {} as any, logger: createLogger('test') })!;
    const seen: boolean[] = [];
    for (let s = 0; s <= 10; s++) {
      mb += 10;
      mock.timers.tick(1000);
      seen.push((await steady.observe())[0]!.failing);
    }
    assert.deepEqual(seen.indexOf(true), 8, `first leak verdict once 8 s of 10 s are covered: ${seen.join(',')}`);
  } finally {
    mock.timers.reset();
  }
});

test('memory detector: disabled in config → not built; configured damping wins', () => {
  const ctx = { pm2: fakePm2(() => []), sentinel: {} as any, logger: createLogger('test') };
  assert.equal(memoryDetector({ ...ctx, service: serviceSchema.parse({ name: 'svc', basePort: 3000, detectors: { memory: { enabled: false } } }) }), null);
  const damping = { samples: 4, failures: 2, holdDownMs: 5 };
  assert.deepEqual(memoryDetector({ ...ctx, service: serviceSchema.parse({ name: 'svc', basePort: 3000, detectors: { memory: { damping } } }) })!.damping, damping);
});
