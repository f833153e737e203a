// The restart action waits out PM2's own retry loop of a process that keeps dying as it starts. A scripted
// sequence of PM2 listings and a virtual clock: every branch, without real waiting.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mayBeInRetryLoop, PM2_RETRY_LOOP, waitOutPm2Retries } from '../../activities/pm2-retry-loop';
import { isAutorestartRace, type Pm2Process } from '../../pm2/client';

const T0 = 1_000_000;

function proc(over: Partial<Pm2Process>): Pm2Process {
  return { pmId: 1, name: 'svc', instance: 1, pid: 100, status: 'online', execMode: 'fork', restarts: 0, unstableRestarts: 0, exitCode: null, startedAt: T0 - 60_000, memoryBytes: 1, cpuPercent: 0, ...over };
}

/** Runs waitOutPm2Retries over `script`: listing n is what PM2 shows at look n; time advances only by sleeps. */
async function run(script: Array<Partial<Pm2Process> | undefined>) {
  let clock = T0;
  let looks = 0;
  let alive = 0;
  const verdict = await waitOutPm2Retries(async () => {
    const step = script[Math.min(looks++, script.length - 1)];
    return step && proc(step);
  }, { now: () => clock, sleep: async (ms) => void (clock += ms), alive: () => alive++ });
  return { verdict, looks, alive, elapsed: clock - T0 };
}

describe('PM2 retry loop', () => {
  test('a serving process that crashed once, or hung, is not in a loop: no wait at all', async () => {
    assert.equal(mayBeInRetryLoop(proc({}), T0, PM2_RETRY_LOOP), false);
    assert.equal(mayBeInRetryLoop(proc({ unstableRestarts: 3 }), T0, PM2_RETRY_LOOP), false, 'old unstable count, running a minute: not now');
    assert.equal(mayBeInRetryLoop(proc({ status: 'errored', unstableRestarts: 0 }), T0, PM2_RETRY_LOOP), false, 'already given up on: restart at once');
    const { verdict, looks, elapsed } = await run([{}]);
    assert.deepEqual(verdict, { kind: 'not-retrying' });
    assert.equal(looks, 1);
    assert.equal(elapsed, 0);
  });

  test('PM2 gives up: wait for it, then settle before the restart', async () => {
    const young = { unstableRestarts: 2, startedAt: T0 - 100 };
    const { verdict, alive } = await run([
      { ...young, status: 'launching', restarts: 4 },
      { ...young, status: 'online', restarts: 5, pid: 101 },
      { ...young, status: 'launching', restarts: 6, pid: 102 },
      { status: 'errored', restarts: 7, pid: 0, unstableRestarts: 0 },
    ]);
    assert.equal(verdict.kind, 'gave-up');
    assert.equal(verdict.kind === 'gave-up' && verdict.restarts, 3);
    assert.equal(verdict.kind === 'gave-up' && verdict.waitedMs, 3 * PM2_RETRY_LOOP.pollMs + PM2_RETRY_LOOP.settleMs);
    assert.equal(alive, 3, 'heartbeat on every look');
  });

  test("PM2's retry works: it stays up past stableMs, nothing to restart", async () => {
    const { verdict } = await run([
      { status: 'launching', restarts: 4, unstableRestarts: 2, startedAt: T0 },
      { status: 'online', restarts: 5, unstableRestarts: 2, pid: 101, startedAt: T0 + 200 },
    ]);
    assert.equal(verdict.kind, 'came-up');
    assert.ok(verdict.kind === 'came-up' && verdict.waitedMs >= PM2_RETRY_LOOP.stableMs);
  });

  test('bounded: a loop that never ends is given up on after maxWaitMs', async () => {
    let n = 0;
    let clock = T0;
    const verdict = await waitOutPm2Retries(
      async () => proc({ status: n % 2 ? 'online' : 'launching', restarts: n, pid: 100 + n++, unstableRestarts: 1, startedAt: clock }),
      { now: () => clock, sleep: async (ms) => void (clock += ms) },
    );
    assert.equal(verdict.kind, 'still-retrying');
    assert.ok(clock - T0 >= PM2_RETRY_LOOP.maxWaitMs && clock - T0 < PM2_RETRY_LOOP.maxWaitMs + 1_000);
  });

  test('the process disappears or is stopped by someone: stop waiting', async () => {
    assert.deepEqual((await run([{ status: 'launching', unstableRestarts: 1, startedAt: T0 }, undefined])).verdict, { kind: 'not-retrying' });
    const stopped = await run([{ status: 'launching', unstableRestarts: 1, startedAt: T0 }, { status: 'stopped', unstableRestarts: 1, pid: 0 }]);
    assert.deepEqual(stopped.verdict, { kind: 'not-retrying' });
    assert.equal(stopped.looks, 3, 'stopped in two looks in a row');
    assert.deepEqual((await run([{ status: 'launching', unstableRestarts: 1, startedAt: T0 }, { status: 'stopping', unstableRestarts: 1 }])).verdict, { kind: 'not-retrying' });
    assert.deepEqual((await run([{ status: 'stopped', pid: 0 }])).verdict, { kind: 'not-retrying' }, 'stopped, nothing unstable: not a loop, no second look');
  });

  test('one "stopped" look between an exit and PM2\'s relaunch is still the loop: no restart in the middle of it', async () => {
    const young = { unstableRestarts: 2, startedAt: T0 - 100 };
    const gap = await run([
      { ...young, status: 'online', restarts: 4 },
      { ...young, status: 'stopped', restarts: 4, pid: 0, unstableRestarts: 3 },
      { ...young, status: 'online', restarts: 5, pid: 101, unstableRestarts: 3 },
      { status: 'errored', restarts: 5, pid: 0, unstableRestarts: 0 },
    ]);
    assert.equal(gap.verdict.kind, 'gave-up');
    const firstInGap = await run([
      { ...young, status: 'stopped', restarts: 4, pid: 0 },
      { ...young, status: 'online', restarts: 5, pid: 101 },
      { status: 'errored', restarts: 5, pid: 0, unstableRestarts: 0 },
    ]);
    assert.equal(firstInGap.verdict.kind, 'gave-up', 'the first look caught the gap: looked again');
  });
});

describe('PM2 refusing a restart while its own autorestart spawns the process', () => {
  test('is recognised (and retried by Pm2Client.restart); other PM2 errors are not', () => {
    assert.equal(isAutorestartRace(new Error('Process with pid 5391 already exists')), true);
    assert.equal(isAutorestartRace([{ message: 'Process with pid 12 already exists' }]), true);
    assert.equal(isAutorestartRace(new Error('Process 3 not found')), false);
    assert.equal(isAutorestartRace('timeout'), false);
  });
});
