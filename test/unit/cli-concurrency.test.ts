// `zt incidents` fetches reports in parallel, but never more than a few at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapWithConcurrency } from '../../cli/concurrency';

test('bounded concurrency keeps order and never exceeds its limit', async () => {
  let inFlight = 0;
  let peak = 0;
  const out = await mapWithConcurrency([5, 1, 4, 2, 3], 2, async (n) => {
    peak = Math.max(peak, ++inFlight);
    await new Promise((resolve) => setTimeout(resolve, n));
    inFlight--;
    return n * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30]);
  assert.equal(peak, 2);
  assert.deepEqual(await mapWithConcurrency([], 4, async () => 1), []);
});
