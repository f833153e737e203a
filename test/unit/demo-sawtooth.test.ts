// The demo target's `sawtooth` fault as a plain child process, without PM2: RSS (read from /proc, the
// same number PM2 reports) really climbs by the tooth and really falls back, again and again, with a
// forced gc when node runs with --expose-gc (as demo/ecosystem.ts starts it) and by allocation pressure
// when it does not. What the memory detector makes of it under PM2 is test/integration/detect-resources.test.ts.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { clearFaults, FaultSwitchError, injectFault, listFaults, type ActiveFault } from '../../demo/faults';

const SCRIPT = path.resolve(__dirname, '../../demo/localize-api.js');
const children = new Set<ChildProcess>();

after(() => {
  for (const child of children) child.kill('SIGKILL');
});

interface Target {
  url: string;
  pid: number;
}

function startTarget(nodeArgs: string[]): Promise<Target> {
  const child = spawn(process.execPath, [...nodeArgs, SCRIPT], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', NODE_APP_INSTANCE: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg: string; port?: number };
      if (entry.msg === 'listening') resolve({ url: `http://127.0.0.1:${entry.port}`, pid: child.pid! });
    });
    child.once('exit', (code) => reject(new Error(`target exited with ${code} before listening`)));
  });
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  assert.ok(kb > 0, `VmRSS of ${pid}`);
  return kb / 1024;
}

async function sampleRss(pid: number, ms: number, everyMs = 100): Promise<number[]> {
  const samples: number[] = [];
  const until = performance.now() + ms;
  while (performance.now() < until) {
    samples.push(await rssMb(pid));
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return samples;
}

/** Falls of at least `mb` from one sample to the next: each is a tooth given back. */
function falls(samples: number[], mb: number): number {
  return samples.slice(1).filter((s, i) => samples[i]! - s >= mb).length;
}

const fmt = (samples: number[]) => samples.map((s) => s.toFixed(0)).join(' ');

async function sawtoothOf(target: Target): Promise<ActiveFault | undefined> {
  return (await listFaults(target.url)).faults.find((f) => f.fault === 'sawtooth');
}

test('sawtooth: bad parameters are refused, defaults are filled in', async () => {
  const target = await startTarget([]);
  for (const bad of [{ mb: 0 }, { mb: 4096 }, { periodMs: 100 }, { periodMs: 'long' }]) {
    await assert.rejects(injectFault(target.url, { fault: 'sawtooth', ...bad } as never), (err: unknown) => {
      assert.ok(err instanceof FaultSwitchError);
      assert.equal(err.status, 400);
      assert.match(err.message, /fault "sawtooth" needs "(mb|periodMs)": a number from/);
      return true;
    });
  }
  const accepted = await injectFault(target.url, { fault: 'sawtooth' });
  assert.deepEqual(accepted.accepted, { fault: 'sawtooth', mb: 64, periodMs: 2_000 });
  assert.deepEqual((await clearFaults(target.url)).cleared, ['sawtooth']);
});

test('sawtooth with --expose-gc: RSS climbs by the tooth and falls back to where it started, every period', async () => {
  const target = await startTarget(['--expose-gc']);
  const baseline = await rssMb(target.pid);
  await injectFault(target.url, { fault: 'sawtooth', mb: 48, periodMs: 1_000 });
  const samples = await sampleRss(target.pid, 4_200);
  const fault = await sawtoothOf(target);
  console.log(`# sawtooth (forced gc) RSS MB, baseline ${baseline.toFixed(0)}: ${fmt(samples)}`);
  assert.equal(fault?.gc, 'forced');
  assert.ok((fault?.teeth ?? 0) >= 3, `teeth given back: ${fault?.teeth}`);
  const max = Math.max(...samples);
  assert.ok(max - baseline >= 35, `climbed ${(max - baseline).toFixed(0)} MB above the baseline`);
  assert.ok(falls(samples, 25) >= 3, 'fell back at least three times');
  // No creep: the last low is back near the baseline, not a tooth higher.
  const lastSecond = samples.slice(-10);
  assert.ok(Math.min(...lastSecond) - baseline < 12, `last low ${Math.min(...lastSecond).toFixed(0)} MB vs baseline ${baseline.toFixed(0)} MB`);

  assert.deepEqual((await clearFaults(target.url)).cleared, ['sawtooth']);
  const settled = await sampleRss(target.pid, 500);
  assert.ok(settled.at(-1)! - baseline < 12, `cleared: ${settled.at(-1)!.toFixed(0)} MB vs baseline ${baseline.toFixed(0)} MB`);
});

test('sawtooth without --expose-gc: allocation pressure still gives the teeth back (one tooth later)', async () => {
  const target = await startTarget([]);
  const baseline = await rssMb(target.pid);
  await injectFault(target.url, { fault: 'sawtooth', mb: 48, periodMs: 1_000 });
  const samples = await sampleRss(target.pid, 5_200);
  const fault = await sawtoothOf(target);
  console.log(`# sawtooth (pressure) RSS MB, baseline ${baseline.toFixed(0)}: ${fmt(samples)}`);
  assert.equal(fault?.gc, 'pressure');
  assert.ok(falls(samples, 25) >= 2, 'fell back at least twice');
  // Bounded: at most the tooth being filled and the one not yet collected, plus the pressure's own garbage.
  assert.ok(Math.max(...samples) - baseline < 2 * 48 + 64, `peak ${Math.max(...samples).toFixed(0)} MB`);
  await clearFaults(target.url);
});
