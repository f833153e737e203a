// Reproduces the governor's non-determinism under load (docs/benchmarks.md, bench:concurrency findings) in
// seconds: a governor worker with no workflow cache, so every workflow task replays the history, and bursts
// of 40 concurrent permit requests. Before the patch `governor-wakes-after-handlers` the first burst wedged
// the governor: "[TMPRL1100] Nondeterminism error: Update machine does not handle this event: HistoryEvent(id: …,
// TimerStarted)" (its main loop's timer landed between the burst's acceptances and completions, in an order
// the replay did not reproduce) and every update failed. `npx tsx bench/governor-replay-repro.ts` prints each
// burst and the governor's workflow task failures, and exits 1 unless every update answered and no workflow
// task failed. SHOW_EVENTS=N prints the N events before the first failure.
import { governorBursts } from '../test/helpers/governor-bursts';
import { testTemporal } from '../test/helpers/temporal';

(async () => {
  const { rounds, events, taskFailures } = await governorBursts(await testTemporal(), { services: 40, rounds: 4 });
  rounds.forEach((r, i) => console.log(`round ${i}: ${r.answered} answered (${r.granted} granted), ${r.failures.length} failed ${r.failures[0]?.slice(0, 200) ?? ''}`));
  console.log(`governor history ${events.length} events, workflow task failures: ${taskFailures.length}`, taskFailures[0]?.workflowTaskFailedEventAttributes?.failure?.message?.slice(0, 300) ?? '');
  if (process.env.SHOW_EVENTS && taskFailures[0]) {
    // The events of the workflow task whose replay failed, to see which commands the replay ordered differently.
    const at = events.indexOf(taskFailures[0]);
    for (const e of events.slice(Math.max(0, at - Number(process.env.SHOW_EVENTS)), at + 1)) {
      const kind = Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? '';
      const a = (e as Record<string, any>)[kind];
      console.log(String(e.eventId), kind.replace('EventAttributes', ''), a?.protocolInstanceId ?? a?.acceptedRequest?.meta?.updateId ?? a?.meta?.updateId ?? a?.timerId ?? '');
    }
  }
  const failedUpdates = rounds.reduce((n, r) => n + r.failures.length, 0);
  process.exit(taskFailures.length === 0 && failedUpdates === 0 ? 0 : 1);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
