// CPU % over the last second however often processes are listed (pm2/cpu-window.ts): synthetic readings,
// then a real process burning CPU measured through /proc while it is sampled every few milliseconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CpuWindow, cpuTicksOf } from '../../pm2/cpu-window';

test('the percentage spans the newest window of at least a second, whatever the sampling rate', () => {
  const w = new CpuWindow();
  assert.equal(w.record(7, 0, 0), null, 'one reading tells nothing');
  assert.equal(w.record(7, 100, 10), null, 'under 200 ms is too short to tell');
  // 80 ticks per second = 80 %, read every 5 ms: each answer still spans ≥ 1 s.
  for (let t = 105; t <= 2000; t += 5) w.record(7, t, Math.floor(t * 0.08));
  assert.equal(w.record(7, 2005, Math.floor(2005 * 0.08)), 80);
});

test('a young process reports over what it has (≥ 200 ms), and a vanished pid is forgotten', () => {
  const w = new CpuWindow();
  w.record(9, 0, 0);
  assert.equal(w.record(9, 500, 25), 50);
  w.keepOnly(new Set());
  assert.equal(w.record(9, 600, 30), null, 'a reused pid starts afresh');
});

test('a real busy process reads busy even when sampled every few milliseconds (Linux /proc)', async () => {
  const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 4000; while (Date.now() < end) {}'], { stdio: 'ignore' });
  try {
    const w = new CpuWindow();
    let last: number | null = null;
    const end = Date.now() + 1_600;
    while (Date.now() < end) {
      const ticks = await cpuTicksOf(child.pid!);
      assert.notEqual(ticks, null, '/proc/<pid>/stat is readable');
      last = w.record(child.pid!, Date.now(), ticks!) ?? last;
      await new Promise((r) => setTimeout(r, 3));
    }
    assert.ok(last !== null && last >= 60, `a spinning process reads ${last} %`);
  } finally {
    child.kill('SIGKILL');
  }
  assert.equal(await cpuTicksOf(2 ** 22 + 12345), null, 'no such pid → null, PM2 keeps its say');
});
