// Flap damping: one blip never alerts; N of M does; hold-down keeps an alerting subject quiet; a full
// healthy window resolves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dampen, initialSubjectState, type SubjectState } from '../../sentinel/damping';

const cfg = { samples: 5, failures: 3, holdDownMs: 10_000 };

function run(seq: boolean[], start = 0, step = 1000) {
  let state: SubjectState = initialSubjectState();
  const out: string[] = [];
  seq.forEach((failing, i) => {
    const r = dampen(state, failing, start + i * step, cfg);
    state = r.state;
    out.push(r.fire ? 'F' : r.resolve ? 'R' : '.');
  });
  return { out: out.join(''), state };
}

test('single blips never alert', () => {
  assert.equal(run([true, false, false, true, false, false, true, false]).out, '........');
});

test('3 of the last 5 failing alerts once, with the time of the first failure', () => {
  const { out, state } = run([false, true, false, true, true, true]);
  assert.equal(out, '....F.');
  assert.equal(state.firstFailureAt, 1000);
});

test('hold-down: a subject that keeps failing re-alerts only after holdDownMs', () => {
  assert.equal(run(Array(14).fill(true)).out, '..F.........F.');
});

test('a full healthy window after an alert resolves it', () => {
  assert.equal(run([true, true, true, false, false, false, false, false]).out, '..F....R');
});
