// Every drill `npm run drill` knows: one per incident class, the forced rollback, the load spike, the
// false positives and the escalations. Pure data, so the table, the summary and the docs agree on it.
import type { DrillSpec, Expectation } from './types';

/** The acceptance targets (issue 7): recovery p95 per class on the 2-core development machine. */
export const TARGET_SECONDS = { crash: 5, hang: 10, anyClass: 20 } as const;

const PASS: Record<Expectation, string> = {
  'recovered-with-action': 'auto-resolved with ≥ 1 action, classified as its class',
  recovered: 'closed auto-resolved or recovered-without-action, classified as its class',
  'recovered-without-action': 'closed recovered-without-action with 0 actions (by design: nothing of ours to act on)',
  quiet: 'no incident, or incidents with 0 actions',
  'escalated-without-action': 'escalated to a human with 0 actions',
  'escalated-after-attempts': 'escalated after exactly 2 failed attempts (2 actions), no third action',
};

type Entry = Omit<DrillSpec, 'passRule' | 'targetSeconds' | 'defaultRuns'> & { defaultRuns?: number; targetSeconds?: number | null };

function spec(e: Entry): DrillSpec {
  const recovery = e.kind === 'class' || e.kind === 'rollback' || e.kind === 'load-spike';
  return {
    ...e,
    passRule: PASS[e.expect],
    defaultRuns: e.defaultRuns ?? (recovery ? 3 : 1),
    targetSeconds: e.targetSeconds !== undefined ? e.targetSeconds : recovery ? TARGET_SECONDS.anyClass : null,
  };
}

export const DRILLS: DrillSpec[] = [
  // availability: the sentinel's defaults (1 s probes, 2 failures), startup grace 3 s
  spec({
    id: 'process-crash',
    family: 'availability',
    kind: 'class',
    class: 'process-crash',
    injects: 'the `crash` fault: one instance exits with code 1 (PM2 restarts it)',
    expect: 'recovered',
    tuning: null,
    defaultRuns: 5,
    targetSeconds: TARGET_SECONDS.crash,
  }),
  spec({
    id: 'deadlock',
    family: 'availability',
    kind: 'class',
    class: 'deadlock',
    injects: 'the `hang` fault: one instance blocks its event loop (PM2 still says online)',
    expect: 'recovered-with-action',
    tuning: null,
    defaultRuns: 5,
    targetSeconds: TARGET_SECONDS.hang,
  }),
  spec({
    id: 'unhealthy-health-check',
    family: 'availability',
    kind: 'class',
    class: 'unhealthy-health-check',
    injects: 'the `unhealthy` fault: one instance answers /healthz with 503',
    expect: 'recovered-with-action',
    tuning: null,
  }),
  spec({
    id: 'failed-startup',
    family: 'availability',
    kind: 'class',
    class: 'failed-startup',
    injects:
      'the persistent `failing-startup` fault on one instance, counted in starts: as many starts throw as PM2 makes before it gives up (its max_restarts, 10); the instance is then restarted on purpose (a config reload), and the first start after PM2 gave up succeeds (the last failing start removed the fault)',
    expect: 'recovered-with-action',
    tuning: 'startup detector graceMs 3 s (default 15 s)',
  }),
  spec({
    id: 'node-reboot',
    family: 'availability',
    kind: 'class',
    class: 'node-reboot',
    injects: 'a new host boot id (the boot id file the reboot detector reads is rewritten), every instance back and healthy',
    expect: 'recovered-without-action',
    tuning: 'reboot detector reads a boot id file of the drill (bootIdPath), every 500 ms',
  }),
  // resources
  spec({
    id: 'memory-leak',
    family: 'resources',
    kind: 'class',
    class: 'memory-leak',
    injects: 'the `memory` fault: one instance retains 4 MB/s (up to 300 MB)',
    expect: 'recovered-with-action',
    tuning: 'memory detector window 8 s, growth 120 MB/min, every 500 ms (default 60 s, 30 MB/min, 1 s)',
  }),
  spec({
    id: 'cpu-spike',
    family: 'resources',
    kind: 'class',
    class: 'cpu-spike',
    injects: 'the `cpu` fault on every instance (80 % of a core each): load, so a bounded scale-up (max 3)',
    expect: 'recovered-with-action',
    tuning: 'CPU busy at 25 % sustained 5 s, every 500 ms, catalog cpuBusyPercent 25 (defaults 90 %/10 s and 80 %: two burning instances on two cores); scale cooldown 3 s',
    defaultRuns: 5,
  }),
  spec({
    id: 'disk-pressure',
    family: 'resources',
    kind: 'class',
    class: 'disk-pressure',
    injects: "an 8 MB tmpfs holding the service's temp dir is filled to 7 MB by a temp file (the service's own junk)",
    expect: 'recovered-with-action',
    tuning: 'disk detector every 500 ms, minFreePercent 20 on the tmpfs; actions.disk minAgeMs 0 (default: only files older than 1 h), archive on another filesystem',
  }),
  // traffic: steady loopback traffic on both instances
  spec({
    id: 'route-timeout',
    family: 'traffic',
    kind: 'class',
    class: 'route-timeout',
    injects: 'the `slow` fault (600 ms per request) on one instance under steady traffic',
    expect: 'recovered-with-action',
    tuning: 'routes detector p95 300 ms over 5 s with ≥ 5 requests, every 500 ms (default 1 s over 15 s)',
  }),
  spec({
    id: 'bad-deploy',
    family: 'traffic',
    kind: 'class',
    class: 'bad-deploy',
    injects: 'a release deployed with `zt deploy` whose code fails half its API requests with 500, under steady traffic',
    expect: 'recovered-with-action',
    tuning: 'deploy detector warm-up 1 s, error ratio 0.1 with ≥ 10 requests, every 500 ms (default 5 s, 0.05)',
    defaultRuns: 5,
  }),
  spec({
    id: 'forced-rollback',
    family: 'deploy',
    kind: 'rollback',
    class: 'process-crash',
    injects: 'a release deployed with `zt deploy` that dies on start on every instance (crash loop right after a deploy: rollback)',
    expect: 'recovered-with-action',
    tuning: null,
    defaultRuns: 5,
  }),
  // network
  spec({
    id: 'upstream-failure',
    family: 'network',
    kind: 'class',
    class: 'upstream-failure',
    injects: "the service's translator upstream is stopped for 5 s under traffic to /api/localize (the service logs errors naming it)",
    expect: 'recovered-without-action',
    tuning: 'upstream detector every 200 ms, error window 3 s (default 1 s, 30 s)',
  }),
  spec({
    id: 'dns-failure',
    family: 'network',
    kind: 'class',
    class: 'dns-failure',
    injects: 'the resolver the service uses (a local DNS server) answers SERVFAIL for 5 s',
    expect: 'recovered-without-action',
    tuning: 'dns detector every 200 ms, timeout 300 ms (default 1 s, 1 s)',
  }),
  spec({
    id: 'lb-imbalance',
    family: 'network',
    kind: 'class',
    class: 'lb-imbalance',
    injects: "HAProxy's weights for the two instances skewed 100:1 through its runtime API, under traffic",
    expect: 'recovered-with-action',
    tuning: 'load-balancer detector every 300 ms (default 1 s)',
  }),
  // the load spike
  spec({
    id: 'load-spike',
    family: 'load-spike',
    kind: 'load-spike',
    class: 'deadlock',
    injects: 'a hung instance (as `deadlock`); from the moment its incident opens, 10,000 alerts for 5 other configured services (7 alert names, 20 incident keys) arrive through the ingest path at 2,000/s; each run is paired with the same hang without the storm',
    expect: 'recovered-with-action',
    tuning: null,
    targetSeconds: TARGET_SECONDS.hang,
  }),
  // false positives: every detector of the sentinel on, tuned as in the detection tests
  ...(
    [
      ['fp-probe-blip', 'one failed health probe: `unhealthy` for 400 ms'],
      ['fp-requested-restart', 'a restart we asked PM2 for'],
      ['fp-cpu-burst', 'a 1.5 s CPU burst on one instance'],
      ['fp-gc-sawtooth', 'a GC sawtooth: 64 MB taken and given back every 2 s, for 20 s'],
      ['fp-slow-request', 'one slow request (1.5 s) among steady traffic'],
      ['fp-deploy-warmup', 'a recorded deploy whose errors stop within its warm-up'],
      ['fp-upstream-blip', 'the translator upstream refuses one request'],
      ['fp-dns-blip', 'one DNS answer slower than the timeout'],
    ] as const
  ).map(([id, injects]) =>
    spec({
      id,
      family: 'false-positives',
      kind: 'false-positive',
      class: null,
      injects,
      expect: 'quiet',
      tuning: 'the detectors tuned as in the detection tests (short windows), so a blip is judged against the same windows',
    }),
  ),
  // escalations
  spec({
    id: 'esc-billing',
    family: 'escalations',
    kind: 'escalation',
    class: 'deadlock',
    injects: 'a hung instance of a service tagged billing',
    expect: 'escalated-without-action',
    tuning: null,
  }),
  spec({
    id: 'esc-security',
    family: 'escalations',
    kind: 'escalation',
    class: 'deadlock',
    injects: "a hung instance whose own error log says 'certificate has expired' (a security log signal)",
    expect: 'escalated-without-action',
    tuning: null,
  }),
  spec({
    id: 'esc-low-confidence',
    family: 'escalations',
    kind: 'escalation',
    class: 'process-crash',
    injects: "an instance stopped in PM2 (`pm2 stop`, maybe on purpose) and Prometheus' InstanceDown alert for it",
    expect: 'escalated-without-action',
    tuning: null,
  }),
  spec({
    id: 'esc-fails-twice',
    family: 'escalations',
    kind: 'escalation',
    class: 'process-crash',
    injects: 'the persistent `crash-loop` fault: a restart cannot fix it',
    expect: 'escalated-after-attempts',
    tuning: null,
  }),
];

export const FAMILIES = [...new Set(DRILLS.map((d) => d.family))];

/** Drills named by id, class or family (none: all); unknown names are returned so the caller can refuse them. */
export function selectDrills(names: string[], all: DrillSpec[] = DRILLS): { drills: DrillSpec[]; unknown: string[] } {
  if (names.length === 0) return { drills: all, unknown: [] };
  const unknown = names.filter((n) => !all.some((d) => d.id === n || d.class === n || d.family === n));
  const drills = all.filter((d) => names.some((n) => d.id === n || d.family === n || (d.class === n && d.kind === 'class')));
  return { drills, unknown };
}
