// Listing PM2 once for many concurrent callers, never with an answer older than the caller's question.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FreshSharedCall } from '../../pm2/shared-call';

const tick = () => new Promise((r) => setTimeout(r, 5));

test('concurrent callers share runs: one in flight and one after it, whatever their number', async () => {
  let runs = 0;
  const shared = new FreshSharedCall(async () => {
    runs++;
    await tick();
    return runs;
  });
  const first = shared.call();
  const rest = Array.from({ length: 20 }, () => shared.call());
  assert.equal(await first, 1);
  assert.deepEqual(await Promise.all(rest), Array(20).fill(2), 'the twenty who asked while run 1 was in flight share run 2');
  assert.equal(runs, 2);
  assert.equal(await shared.call(), 3, 'idle again: a new run');
});

test('every caller gets a run that started after it asked (a caller that has just changed the state sees the change)', async () => {
  let state = 0;
  const shared = new FreshSharedCall(async () => {
    const seen = state;
    await tick();
    return seen;
  });
  const answers = await Promise.all(
    Array.from({ length: 12 }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 2));
      const mine = ++state; // e.g. a restart this caller just made
      return { mine, seen: await shared.call() };
    }),
  );
  for (const a of answers) assert.ok(a.seen >= a.mine, `a caller that changed the state to ${a.mine} was answered with ${a.seen}`);
});

test('a failed run fails its callers only; the next run is made', async () => {
  let runs = 0;
  const shared = new FreshSharedCall(async () => {
    runs++;
    await tick();
    if (runs === 1) throw new Error('daemon busy');
    return runs;
  });
  const failing = shared.call();
  const after = shared.call();
  await assert.rejects(failing, /daemon busy/);
  assert.equal(await after, 2);
});
