// Failed startup rule, one instance at a time: not healthy for graceMs since a (re)start while PM2 keeps
// restarting it, gave up on it, or never brought it online. A healthy start, one crash followed by a
// healthy restart, a crash loop that serves between crashes, a stopped instance and a hung-but-online
// instance are not failed startups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failedStartup, nextEpisode, noEpisode, type StartupObservation } from '../../sentinel/detectors/startup-episode';

const GRACE = 5_000;
type Step = Pick<StartupObservation, 'pid' | 'status' | 'restarts' | 'healthy'> & { startedAt?: number };

const up = (pid: number, restarts = 0): Step => ({ pid, status: 'online', restarts, healthy: true });
const starting = (pid: number, restarts = 0): Step => ({ pid, status: 'online', restarts, healthy: false });
const errored = (restarts: number): Step => ({ pid: 0, status: 'errored', restarts, healthy: false });

/** One observation a second; returns F for a failed-startup verdict, . otherwise. */
function run(steps: Step[], firstStartedAt = 0): string {
  let episode = noEpisode();
  return steps
    .map((s, i) => {
      const at = 10_000 + i * 1000;
      episode = nextEpisode(episode, { at, startedAt: s.startedAt ?? (i === 0 ? firstStartedAt : at), ...s });
      return failedStartup(episode, at, GRACE) ? 'F' : '.';
    })
    .join('');
}

const cases: Array<{ name: string; steps: Step[]; firstStartedAt?: number; expected: string }> = [
  { name: 'healthy all along', steps: Array(10).fill(up(1)), expected: '..........' },
  {
    name: 'healthy, crashes, restarts and answers within grace',
    steps: [up(1), up(1), starting(2, 1), starting(2, 1), up(2, 1), up(2, 1), up(2, 1), up(2, 1), up(2, 1)],
    expected: '.........',
  },
  {
    name: 'crashes, then PM2 keeps restarting it and it never answers',
    steps: [up(1), ...Array.from({ length: 8 }, (_, i) => starting(10 + i, 1 + i))],
    expected: '......FFF',
  },
  {
    name: 'crashes, restarts a few times, PM2 gives up (errored)',
    steps: [up(1), starting(2, 1), starting(3, 2), errored(10), errored(10), errored(10), errored(10), errored(10)],
    expected: '......FF',
  },
  { name: 'already errored when first seen, started long ago', steps: [errored(10), errored(10)], firstStartedAt: 1_000, expected: 'FF' },
  {
    name: 'crash loop that serves between crashes',
    steps: Array.from({ length: 12 }, (_, i) => (i % 3 === 2 ? up(i, i) : starting(i, i))),
    expected: '............',
  },
  { name: 'stopped by an operator', steps: [up(1), ...Array(8).fill({ pid: 0, status: 'stopped', restarts: 0, healthy: false })], expected: '.........' },
  { name: 'online but not answering, never restarted (the health detector’s case)', steps: [up(1), ...Array(8).fill(starting(1))], expected: '.........' },
  { name: 'never gets past launching', steps: Array(8).fill({ pid: 5, status: 'launching', restarts: 0, healthy: false }), firstStartedAt: 10_000, expected: '.....FFF' },
  { name: 'one slow probe after a restart, then healthy', steps: [up(1), starting(2, 1), up(2, 1), up(2, 1), up(2, 1), up(2, 1), up(2, 1), up(2, 1)], expected: '........' },
];

for (const c of cases) {
  test(`startup: ${c.name}`, () => assert.equal(run(c.steps, c.firstStartedAt), c.expected));
}
