// Every incident class against the shipped catalog: positive evidence (the signature matches, with the
// playbook and severity it promises), negative evidence (a near miss that must not match) and ambiguous
// evidence (two classes fit, so the confidence drops by the penalty and the rival is named).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from '../../policy/classify';
import { instanceFact, serviceView } from '../../policy/catalog/facts';
import { loadCatalog } from '../../policy/catalog/load';
import { INCIDENT_CLASSES, type Diagnosis, type Evidence, type IncidentClass } from '../../policy/types';
import { alerts, evidence, instance, looks, policy, sample } from '../helpers/evidence';

const catalog = loadCatalog();

type Expect = Partial<Pick<Diagnosis, 'signatureId' | 'class' | 'healthy' | 'severity' | 'playbook' | 'affectedPmIds' | 'riskFlags' | 'competing'>> & {
  confidence?: [number, number];
};

interface Case {
  class: IncidentClass;
  kind: 'positive' | 'negative' | 'ambiguous';
  name: string;
  evidence: Evidence;
  expect: Expect;
}

const two = (a: Parameters<typeof instance>[1], b: Parameters<typeof instance>[1], over: Partial<Evidence> = {}) =>
  evidence([instance(0, a), instance(1, b)], over);

const cases: Case[] = [
  // ---- process crash ----
  {
    class: 'process-crash',
    kind: 'positive',
    name: 'restarting while watched: crash loop, restart that instance',
    evidence: evidence([instance(0, looks.refused, { restartsDuringDiagnosis: 1, exitCode: 1 }), instance(1, looks.ok)]),
    expect: { signatureId: 'crash-loop', class: 'process-crash', severity: 'low', playbook: ['pm2-restart'], affectedPmIds: [0], confidence: [0.8, 0.8] },
  },
  {
    class: 'process-crash',
    kind: 'positive',
    name: 'every instance errored: crash loop of medium severity',
    evidence: two(looks.errored, looks.errored),
    expect: { signatureId: 'crash-loop', severity: 'medium', affectedPmIds: [0, 1], confidence: [0.9, 0.9] },
  },
  {
    class: 'process-crash',
    kind: 'positive',
    name: 'exited and PM2 brought it back: verify only',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ ProcessExited: 'process-crash' }, { instances: [1] }) }),
    expect: { signatureId: 'crash-recovered-by-pm2', class: 'process-crash', healthy: true, playbook: [], confidence: [0.9, 0.9] },
  },
  {
    class: 'process-crash',
    kind: 'negative',
    name: 'stopped with no crash reported is not a crash loop: a human decides',
    evidence: two(looks.stopped, looks.ok),
    expect: { signatureId: 'process-stopped', confidence: [0.5, 0.5] },
  },
  {
    class: 'process-crash',
    kind: 'ambiguous',
    name: 'restarting and the startup detector says it never came up: failed startup, crash loop competes',
    evidence: evidence([instance(0, looks.launching, { restartsDuringDiagnosis: 2 }), instance(1, looks.ok)], {
      alerts: alerts({ FailedStartup: 'failed-startup', ProcessCrashLoop: 'process-crash' }, { instances: [0] }),
    }),
    expect: { signatureId: 'failed-startup', competing: ['crash-loop'], confidence: [0.75, 0.75] },
  },

  // ---- memory leak ----
  {
    class: 'memory-leak',
    kind: 'positive',
    name: 'leak alert on instance 1 and RSS still rising: restart only the leaking instance',
    evidence: two(looks.ok, looks.leaking, { alerts: alerts({ MemoryLeak: 'memory-leak' }, { instances: [1] }) }),
    expect: { signatureId: 'memory-leak', class: 'memory-leak', severity: 'low', playbook: ['pm2-restart'], affectedPmIds: [1], confidence: [0.86, 0.86] },
  },
  {
    class: 'memory-leak',
    kind: 'positive',
    name: 'every instance leaking in cluster mode: rolling reload, medium',
    evidence: evidence([instance(0, looks.leaking, { execMode: 'cluster' }), instance(1, looks.leaking, { execMode: 'cluster' })], {
      alerts: alerts({ MemoryLeak: 'memory-leak' }, { instances: [0, 1] }),
    }),
    expect: { signatureId: 'memory-leak', severity: 'medium', playbook: ['pm2-reload'], affectedPmIds: [0, 1] },
  },
  {
    class: 'memory-leak',
    kind: 'positive',
    name: 'one instance leaking in cluster mode: rolling reload (without downtime), low',
    evidence: evidence([instance(0, looks.ok, { execMode: 'cluster' }), instance(1, looks.leaking, { execMode: 'cluster' })], {
      alerts: alerts({ MemoryLeak: 'memory-leak' }, { instances: [1] }),
    }),
    expect: { signatureId: 'memory-leak', severity: 'low', playbook: ['pm2-reload'], affectedPmIds: [1] },
  },
  {
    class: 'memory-leak',
    kind: 'negative',
    name: 'RSS rising without a leak alert is not a diagnosis (supporting facts alone never match)',
    evidence: two(looks.ok, looks.leaking),
    expect: { signatureId: 'healthy', class: null, healthy: true },
  },
  {
    class: 'memory-leak',
    kind: 'ambiguous',
    name: 'leak and CPU alerts on the same busy, growing instance: one wins, the other competes',
    evidence: two(looks.ok, looks.leaking.map((s) => ({ ...s, cpuPercent: 95 })), {
      alerts: alerts({ MemoryLeak: 'memory-leak', CpuSpike: 'cpu-spike' }, { instances: [1] }),
    }),
    expect: { class: 'cpu-spike', competing: ['memory-leak'], confidence: [0.75, 0.75] },
  },

  // ---- CPU spike ----
  {
    class: 'cpu-spike',
    kind: 'positive',
    name: 'one instance busy under a CPU alert: restart it',
    evidence: two(looks.ok, looks.busy, { alerts: alerts({ CpuSpike: 'cpu-spike' }, { instances: [1] }) }),
    expect: { signatureId: 'cpu-spike', playbook: ['pm2-restart', 'scale-up'], affectedPmIds: [1], severity: 'low', confidence: [0.9, 0.9] },
  },
  {
    class: 'cpu-spike',
    kind: 'positive',
    name: 'every instance busy: that is load, scale up',
    evidence: two(looks.busy, looks.busy, { alerts: alerts({ CpuSpike: 'cpu-spike' }, { instances: [0, 1] }) }),
    expect: { signatureId: 'cpu-spike', playbook: ['scale-up'], severity: 'medium' },
  },
  {
    class: 'cpu-spike',
    kind: 'positive',
    name: "every instance busy, only the first instance's alert arrived yet: still load, scale up (the detector alerts per instance, seconds apart)",
    evidence: two(looks.busy, looks.busy, { alerts: alerts({ CpuSpike: 'cpu-spike' }, { instances: [0] }) }),
    expect: { signatureId: 'cpu-spike', playbook: ['scale-up'], severity: 'medium', affectedPmIds: [0, 1] },
  },
  {
    class: 'cpu-spike',
    kind: 'negative',
    name: 'alert still firing but the CPU is quiet again: verify only',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ CpuSpike: 'cpu-spike' }, { instances: [1] }) }),
    expect: { signatureId: 'cpu-spike-subsided', class: 'cpu-spike', healthy: true, playbook: [] },
  },
  {
    class: 'cpu-spike',
    kind: 'ambiguous',
    name: 'busy and its health check times out: a blocked event loop, CPU spike competes',
    evidence: two(looks.ok, looks.hungBusy, { alerts: alerts({ CpuSpike: 'cpu-spike' }, { instances: [1] }) }),
    expect: { signatureId: 'event-loop-deadlock', competing: ['cpu-spike'], playbook: ['pm2-restart'], affectedPmIds: [1], confidence: [0.75, 0.75] },
  },

  // ---- unhealthy health check: a poisoned cache ----
  {
    class: 'unhealthy-health-check',
    kind: 'positive',
    name: 'a CachePoisoned alert with healthy-looking instances: scoped cache flush, medium',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ CachePoisoned: null }) }),
    expect: { signatureId: 'poisoned-cache', class: 'unhealthy-health-check', severity: 'medium', playbook: ['flush-cache'], affectedPmIds: [] },
  },

  // ---- disk pressure ----
  {
    class: 'disk-pressure',
    kind: 'positive',
    name: 'disk alert with healthy instances: the service\'s own logs and temp files are cleaned up, medium',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ DiskPressure: 'disk-pressure' }) }),
    expect: { signatureId: 'disk-pressure', severity: 'medium', playbook: ['clean-logs'], affectedPmIds: [], confidence: [0.8, 0.8] },
  },
  {
    class: 'disk-pressure',
    kind: 'positive',
    name: 'disk alert and every instance failing: data-consistency risk, high',
    evidence: two(looks.sick, looks.sick, { alerts: alerts({ DiskPressure: 'disk-pressure' }) }),
    expect: { signatureId: 'disk-full', severity: 'high', riskFlags: ['data-consistency'] },
  },
  {
    class: 'disk-pressure',
    kind: 'negative',
    name: 'disk alert resolved: healthy',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({}, { resolved: ['DiskPressure'] }) }),
    expect: { signatureId: 'healthy', healthy: true },
  },
  {
    class: 'disk-pressure',
    kind: 'ambiguous',
    name: 'disk alert and one instance answering 503: the health signature wins, disk pressure competes',
    evidence: two(looks.sick, looks.ok, { alerts: alerts({ DiskPressure: 'disk-pressure' }) }),
    expect: { signatureId: 'health-check-failing', competing: ['disk-pressure'], confidence: [0.7, 0.7] },
  },

  // ---- node reboot ----
  {
    class: 'node-reboot',
    kind: 'positive',
    name: 'rebooted and everything came back: verify only',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ NodeRebooted: 'node-reboot' }) }),
    expect: { signatureId: 'node-reboot-recovered', healthy: true, class: 'node-reboot', confidence: [0.9, 0.9] },
  },
  {
    class: 'node-reboot',
    kind: 'positive',
    name: 'an instance still launching after the reboot: restart it, medium',
    evidence: two(looks.ok, looks.launching, { alerts: alerts({ NodeRebooted: 'node-reboot' }) }),
    expect: { signatureId: 'node-reboot-degraded', severity: 'medium', playbook: ['pm2-restart'], affectedPmIds: [1], confidence: [0.85, 0.85] },
  },
  {
    class: 'node-reboot',
    kind: 'positive',
    name: 'PM2 daemon restarted and an instance is missing: high, a human takes control',
    evidence: evidence([instance(0, looks.ok)], { expectedInstances: 2, alerts: alerts({ Pm2DaemonRestarted: 'node-reboot' }) }),
    expect: { signatureId: 'node-reboot-missing', severity: 'high', playbook: [] },
  },
  {
    class: 'node-reboot',
    kind: 'negative',
    name: 'every instance healthy and no reboot alert: healthy, not a reboot',
    evidence: two(looks.ok, looks.ok),
    expect: { signatureId: 'healthy', class: null },
  },
  {
    class: 'node-reboot',
    kind: 'ambiguous',
    name: 'rebooted and an instance is stopped: maybe on purpose, maybe not resurrected',
    evidence: two(looks.ok, looks.stopped, { alerts: alerts({ NodeRebooted: 'node-reboot' }) }),
    expect: { signatureId: 'node-reboot-degraded', competing: ['process-stopped'], confidence: [0.7, 0.7] },
  },

  // ---- unhealthy health check ----
  {
    class: 'unhealthy-health-check',
    kind: 'positive',
    name: '503 confirmed by the sentinel alert',
    evidence: two(looks.sick, looks.ok, { alerts: alerts({ InstanceUnhealthy: 'unhealthy-health-check' }, { instances: [0] }) }),
    expect: { signatureId: 'health-check-failing', playbook: ['pm2-restart'], affectedPmIds: [0], confidence: [0.92, 0.93] },
  },
  {
    class: 'unhealthy-health-check',
    kind: 'positive',
    name: 'broken health answers',
    evidence: two(looks.broken, looks.ok),
    expect: { signatureId: 'health-check-failing', confidence: [0.7, 0.7] },
  },
  {
    class: 'unhealthy-health-check',
    kind: 'positive',
    name: 'refusing connections while online, even with the alert: capped below the threshold',
    evidence: two(looks.refused, looks.ok, { alerts: alerts({ InstanceRefusingConnections: 'unhealthy-health-check' }, { instances: [0] }) }),
    expect: { signatureId: 'online-not-listening', confidence: [0.6, 0.6] },
  },
  {
    class: 'unhealthy-health-check',
    kind: 'negative',
    name: 'one 503 in three probes is a blip',
    evidence: two([{}, { health: 'unhealthy', httpStatus: 503 }, {}], looks.ok, { alerts: alerts({ InstanceUnhealthy: 'unhealthy-health-check' }, { instances: [0] }) }),
    expect: { signatureId: 'healthy', healthy: true },
  },
  {
    class: 'unhealthy-health-check',
    kind: 'ambiguous',
    name: '503 while an upstream is failing: the health check may only report the upstream, below the threshold',
    evidence: two(looks.sick, looks.ok, { alerts: alerts({ UpstreamFailure: 'upstream-failure' }) }),
    expect: { signatureId: 'health-check-failing', competing: ['upstream-transient'], confidence: [0.44, 0.45] },
  },

  // ---- failed startup ----
  {
    class: 'failed-startup',
    kind: 'positive',
    name: 'never came up after a restart: one clean restart, then roll back; medium',
    evidence: two(looks.ok, looks.launching, { alerts: alerts({ FailedStartup: 'failed-startup' }, { instances: [1] }) }),
    expect: { signatureId: 'failed-startup', severity: 'medium', playbook: ['pm2-restart', 'rollback-deploy'], affectedPmIds: [1], confidence: [0.9, 0.9] },
  },
  {
    class: 'failed-startup',
    kind: 'positive',
    name: 'no instance can start: high',
    evidence: two(looks.launching, looks.launching, { alerts: alerts({ FailedStartup: 'failed-startup' }, { instances: [0, 1] }) }),
    expect: { signatureId: 'failed-startup', severity: 'high' },
  },
  {
    class: 'failed-startup',
    kind: 'negative',
    name: 'the alert is still firing but the instance answers now: healthy',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ FailedStartup: 'failed-startup' }, { instances: [1] }) }),
    expect: { signatureId: 'healthy', healthy: true },
  },
  {
    class: 'failed-startup',
    kind: 'ambiguous',
    name: 'PM2 gave up (errored) on an instance the startup detector reports: crash loop competes',
    evidence: two(looks.ok, looks.errored, { alerts: alerts({ FailedStartup: 'failed-startup' }, { instances: [1] }) }),
    expect: { signatureId: 'failed-startup', competing: ['crash-loop'], confidence: [0.75, 0.75] },
  },

  // Before the startup detector's grace is over, the only alert is the sentinel's crash alert: PM2's own
  // count of unstable restarts (exits sooner than min_uptime after a start) while diagnosis watched, with
  // no look answering, tells a failed start-up from a crash.
  {
    class: 'failed-startup',
    kind: 'positive',
    name: 'exits right at start-up, crash alert only: PM2 counts unstable restarts while watched, never answers',
    evidence: evidence([instance(0, looks.startingAndDying, { restartsDuringDiagnosis: 2, unstableRestarts: 6, unstableRestartsDuringDiagnosis: 2, exitCode: 1 }), instance(1, looks.ok)], {
      alerts: alerts({ ProcessExited: 'process-crash' }, { instances: [0] }),
    }),
    expect: { signatureId: 'unstable-startup', class: 'failed-startup', severity: 'medium', playbook: ['pm2-restart', 'rollback-deploy'], affectedPmIds: [0], competing: ['crash-loop'], confidence: [0.8, 0.8] },
  },
  {
    class: 'failed-startup',
    kind: 'positive',
    name: 'PM2 gave up while diagnosis watched (it zeroes its count of unstable restarts then): still a failed start-up',
    evidence: evidence([instance(0, [...looks.startingAndDying.slice(0, 2), looks.errored[0]!], { restartsDuringDiagnosis: 1, exitCode: 1 }), instance(1, looks.ok)], {
      alerts: alerts({ ProcessExited: 'process-crash' }, { instances: [0] }),
    }),
    expect: { signatureId: 'unstable-startup', class: 'failed-startup', competing: ['crash-loop'], confidence: [0.8, 0.8] },
  },
  {
    class: 'failed-startup',
    kind: 'positive',
    name: 'PM2 had already given up when diagnosis looked, its last start 1.4 s before (within min_uptime × max_restarts): a failed start-up',
    evidence: evidence([instance(0, looks.errored, { exitCode: 1, startLimits: { minUptimeMs: 2000, maxRestarts: 10 }, pm2GaveUp: { lastStartMsBeforeLook: 1400 } }), instance(1, looks.ok)], {
      alerts: alerts({ ProcessExited: 'process-crash' }, { instances: [0] }),
    }),
    expect: { signatureId: 'unstable-startup', class: 'failed-startup', severity: 'medium', affectedPmIds: [0], competing: ['crash-loop'], confidence: [0.8, 0.8] },
  },
  {
    class: 'failed-startup',
    kind: 'negative',
    name: 'PM2 gave up in an earlier episode (its last start longer than min_uptime × max_restarts before the look): a crash loop, as before',
    evidence: evidence([instance(0, looks.errored, { exitCode: 1, startLimits: { minUptimeMs: 2000, maxRestarts: 10 }, pm2GaveUp: { lastStartMsBeforeLook: 25_000 } }), instance(1, looks.ok)], {
      alerts: alerts({ ProcessExited: 'process-crash' }, { instances: [0] }),
    }),
    expect: { signatureId: 'crash-loop', class: 'process-crash', competing: [] },
  },
  {
    class: 'failed-startup',
    kind: 'negative',
    name: 'errored in every look without PM2\'s give-up mark (a stop that timed out, or an older history): a crash loop',
    evidence: evidence([instance(0, looks.errored, { exitCode: 1, startLimits: { minUptimeMs: 2000, maxRestarts: 10 } }), instance(1, looks.ok)], {
      alerts: alerts({ ProcessExited: 'process-crash' }, { instances: [0] }),
    }),
    expect: { signatureId: 'crash-loop', class: 'process-crash', competing: [] },
  },
  {
    class: 'failed-startup',
    kind: 'positive',
    name: 'unstable restarts while watched and the FailedStartup alert too: failed start-up, surer',
    evidence: evidence([instance(0, looks.startingAndDying, { restartsDuringDiagnosis: 2, unstableRestarts: 6, unstableRestartsDuringDiagnosis: 2, exitCode: 1 }), instance(1, looks.ok)], {
      alerts: alerts({ FailedStartup: 'failed-startup', ProcessExited: 'process-crash' }, { instances: [0] }),
    }),
    expect: { class: 'failed-startup', severity: 'medium', affectedPmIds: [0], competing: ['crash-loop'], confidence: [0.84, 0.84] },
  },
  {
    class: 'failed-startup',
    kind: 'positive',
    name: 'no instance can start, no deploy behind it: high, a human takes control',
    evidence: evidence(
      [0, 1].map((n) => instance(n, looks.startingAndDying, { restartsDuringDiagnosis: 2, unstableRestarts: 4, unstableRestartsDuringDiagnosis: 2, exitCode: 1 })),
      { alerts: alerts({ ProcessExited: 'process-crash' }, { instances: [0, 1] }) },
    ),
    expect: { signatureId: 'unstable-startup', severity: 'high', affectedPmIds: [0, 1] },
  },
  {
    class: 'failed-startup',
    kind: 'negative',
    name: 'a serving process crashed and PM2 brought it back while watched (not unstable, answers again): a crash, not a failed start-up',
    evidence: evidence([instance(0, looks.crashedAndBack, { restartsDuringDiagnosis: 1, unstableRestartsDuringDiagnosis: 0, exitCode: 1 }), instance(1, looks.ok)], {
      alerts: alerts({ ProcessExited: 'process-crash' }, { instances: [0] }),
    }),
    expect: { signatureId: 'crash-loop', class: 'process-crash', playbook: ['pm2-restart'], competing: [], confidence: [0.96, 0.96] },
  },
  {
    class: 'failed-startup',
    kind: 'negative',
    name: 'unstable restarts while watched but one look answered: it starts, then dies: a crash loop',
    evidence: evidence([instance(0, [looks.startingAndDying[0]!, {}, looks.startingAndDying[2]!], { restartsDuringDiagnosis: 2, unstableRestarts: 3, unstableRestartsDuringDiagnosis: 2, exitCode: 1 }), instance(1, looks.ok)], {
      alerts: alerts({ ProcessExited: 'process-crash' }, { instances: [0] }),
    }),
    expect: { signatureId: 'crash-loop', class: 'process-crash', competing: [] },
  },
  {
    class: 'failed-startup',
    kind: 'negative',
    name: 'restarting and never answering, but the unstable restarts PM2 counts are older than diagnosis: a crash loop',
    evidence: evidence([instance(0, looks.startingAndDying, { restartsDuringDiagnosis: 2, unstableRestarts: 3, unstableRestartsDuringDiagnosis: 0, exitCode: 1 }), instance(1, looks.ok)], {
      alerts: alerts({ ProcessExited: 'process-crash' }, { instances: [0] }),
    }),
    expect: { signatureId: 'crash-loop', class: 'process-crash', competing: [], confidence: [0.99, 0.99] },
  },
  {
    class: 'failed-startup',
    kind: 'negative',
    name: 'an old history, recorded before diagnosis counted unstable restarts while watching: classified as it was (crash loop)',
    evidence: evidence([instance(0, looks.startingAndDying, { restartsDuringDiagnosis: 2, unstableRestarts: 6, exitCode: 1 }), instance(1, looks.ok)], {
      alerts: alerts({ ProcessExited: 'process-crash' }, { instances: [0] }),
    }),
    expect: { signatureId: 'crash-loop', class: 'process-crash', severity: 'low', playbook: ['pm2-restart'], affectedPmIds: [0], competing: [], confidence: [0.99, 0.99] },
  },
  {
    class: 'failed-startup',
    kind: 'negative',
    name: 'an old history with the startup detector\'s alert: classified as it was (failed-startup, crash loop competes)',
    evidence: evidence([instance(0, looks.startingAndDying, { restartsDuringDiagnosis: 2, unstableRestarts: 6, exitCode: 1 }), instance(1, looks.ok)], {
      alerts: alerts({ FailedStartup: 'failed-startup', ProcessExited: 'process-crash' }, { instances: [0] }),
    }),
    expect: { signatureId: 'failed-startup', competing: ['crash-loop'], confidence: [0.75, 0.75] },
  },

  // ---- deadlock ----
  {
    class: 'deadlock',
    kind: 'positive',
    name: 'health check times out with a busy CPU: restart the hung instance',
    evidence: two(looks.ok, looks.hungBusy, { alerts: alerts({ InstanceHealthTimeout: 'deadlock' }, { instances: [1] }) }),
    expect: { signatureId: 'event-loop-deadlock', playbook: ['pm2-restart'], affectedPmIds: [1], confidence: [0.95, 0.95] },
  },
  {
    class: 'deadlock',
    kind: 'negative',
    name: 'timeouts while PM2 restarts it are a crash loop, not a deadlock',
    evidence: evidence([instance(0, looks.hung, { restartsDuringDiagnosis: 2 }), instance(1, looks.ok)]),
    expect: { signatureId: 'crash-loop', class: 'process-crash' },
  },
  {
    class: 'deadlock',
    kind: 'ambiguous',
    name: 'one instance hung, the other answering 503',
    evidence: two(looks.hung, looks.sick, { alerts: alerts({ InstanceHealthTimeout: 'deadlock' }, { instances: [0] }) }),
    expect: { signatureId: 'event-loop-deadlock', competing: ['health-check-failing'], affectedPmIds: [0, 1], severity: 'medium', confidence: [0.75, 0.75] },
  },

  // ---- route timeout ----
  {
    class: 'route-timeout',
    kind: 'positive',
    name: 'one slow instance: restart it, then scale up',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ RouteTimeout: 'route-timeout' }, { instances: [0] }) }),
    expect: { signatureId: 'route-timeout', playbook: ['pm2-restart', 'scale-up'], affectedPmIds: [0], severity: 'low', confidence: [0.8, 0.8] },
  },
  {
    class: 'route-timeout',
    kind: 'positive',
    name: 'a service-wide latency alert (no instance named): load, scale up, medium',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ CheckoutLatencyHigh: 'route-timeout' }) }),
    expect: { signatureId: 'route-timeout', playbook: ['scale-up'], severity: 'medium', affectedPmIds: [0, 1] },
  },
  {
    class: 'route-timeout',
    kind: 'negative',
    name: 'latency alert resolved: healthy',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({}, { resolved: ['RouteTimeout'] }) }),
    expect: { signatureId: 'healthy' },
  },
  {
    class: 'route-timeout',
    kind: 'ambiguous',
    name: 'slow routes right after a bad deploy: roll back, route timeout competes',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ RouteTimeout: 'route-timeout', BadDeploy: 'bad-deploy' }, { instances: [0] }) }),
    expect: { signatureId: 'bad-deploy', competing: ['route-timeout'], playbook: ['rollback-deploy'], confidence: [0.7, 0.7] },
  },

  // ---- bad deploy ----
  {
    class: 'bad-deploy',
    kind: 'positive',
    name: 'errors after the last deploy: roll it back, medium',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ BadDeploy: 'bad-deploy' }) }),
    expect: { signatureId: 'bad-deploy', severity: 'medium', playbook: ['rollback-deploy'], confidence: [0.85, 0.85] },
  },
  {
    class: 'bad-deploy',
    kind: 'negative',
    name: 'the deploy alert resolved: healthy',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({}, { resolved: ['BadDeploy'] }) }),
    expect: { signatureId: 'healthy' },
  },
  {
    class: 'bad-deploy',
    kind: 'ambiguous',
    name: 'after a deploy every instance answers 503: the health signature competes',
    evidence: two(looks.sick, looks.sick, { alerts: alerts({ BadDeploy: 'bad-deploy' }) }),
    expect: { signatureId: 'bad-deploy', competing: ['health-check-failing'], affectedPmIds: [0, 1] },
  },

  // ---- upstream failure ----
  {
    class: 'upstream-failure',
    kind: 'positive',
    name: 'an upstream fails while our instances are fine: no action, verify',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ UpstreamFailure: 'upstream-failure' }) }),
    expect: { signatureId: 'upstream-transient', class: 'upstream-failure', healthy: true, playbook: [], confidence: [0.8, 0.8] },
  },
  {
    class: 'upstream-failure',
    kind: 'positive',
    name: 'an upstream fails and the service is tagged traffic-fallback: reroute to the fallback',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ UpstreamFailure: 'upstream-failure' }, { instances: [0] }), serviceTags: ['traffic-fallback'] }),
    expect: { signatureId: 'upstream-failover', class: 'upstream-failure', healthy: false, playbook: ['reroute-traffic'], affectedPmIds: [0], confidence: [0.8, 0.8] },
  },
  {
    class: 'upstream-failure',
    kind: 'negative',
    name: 'upstream recovered: healthy',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({}, { resolved: ['UpstreamFailure'] }) }),
    expect: { signatureId: 'healthy', class: null },
  },
  {
    class: 'upstream-failure',
    kind: 'ambiguous',
    name: 'an upstream and DNS both failing: two transient classes compete',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ UpstreamFailure: 'upstream-failure', DnsResolutionFailure: 'dns-failure' }) }),
    expect: { signatureId: 'upstream-transient', healthy: true, competing: ['dns-hiccup'], confidence: [0.65, 0.65] },
  },

  // ---- DNS failure ----
  {
    class: 'dns-failure',
    kind: 'positive',
    name: 'a name does not resolve: no action, verify',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ DnsResolutionFailure: 'dns-failure' }) }),
    expect: { signatureId: 'dns-hiccup', class: 'dns-failure', healthy: true, playbook: [] },
  },
  {
    class: 'dns-failure',
    kind: 'positive',
    name: "another tool's alert with a class label is matched the same way",
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ CoreDnsServfail: 'dns-failure' }) }),
    expect: { signatureId: 'dns-hiccup' },
  },
  {
    class: 'dns-failure',
    kind: 'negative',
    name: 'an unclassified alert name alone does not make a DNS diagnosis',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ DnsSomething: null }) }),
    expect: { signatureId: 'healthy' },
  },
  {
    class: 'dns-failure',
    kind: 'ambiguous',
    name: 'DNS failing and an instance answering broken health: the health signature is weakened and DNS competes',
    evidence: two(looks.broken, looks.ok, { alerts: alerts({ DnsResolutionFailure: 'dns-failure' }) }),
    expect: { signatureId: 'health-check-failing', competing: ['dns-hiccup'], confidence: [0.34, 0.34] },
  },

  // ---- load-balancer imbalance ----
  {
    class: 'lb-imbalance',
    kind: 'positive',
    name: 'one server takes too much traffic: rebalance the weights',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({ LoadBalancerImbalance: 'lb-imbalance' }, { instances: [1] }) }),
    expect: { signatureId: 'lb-imbalance', playbook: ['rebalance-weights'], affectedPmIds: [1], severity: 'low', confidence: [0.8, 0.8] },
  },
  {
    class: 'lb-imbalance',
    kind: 'negative',
    name: 'imbalance resolved: healthy',
    evidence: two(looks.ok, looks.ok, { alerts: alerts({}, { resolved: ['LoadBalancerImbalance'] }) }),
    expect: { signatureId: 'healthy' },
  },
  {
    class: 'lb-imbalance',
    kind: 'ambiguous',
    name: 'imbalance and the favoured server answers 503: the health signature wins, imbalance competes',
    evidence: two(looks.ok, looks.sick, { alerts: alerts({ LoadBalancerImbalance: 'lb-imbalance' }, { instances: [1] }) }),
    expect: { signatureId: 'health-check-failing', competing: ['lb-imbalance'], affectedPmIds: [1], confidence: [0.7, 0.7] },
  },
];

describe('shipped catalog, class by class', () => {
  test('the table covers every class with positive, negative and ambiguous evidence', () => {
    for (const cls of INCIDENT_CLASSES) {
      for (const kind of ['positive', 'negative', 'ambiguous'] as const) {
        assert.ok(cases.some((c) => c.class === cls && c.kind === kind), `${cls}: no ${kind} case`);
      }
    }
  });

  for (const c of cases) {
    test(`${c.class} (${c.kind}): ${c.name}`, () => {
      const d = classify(c.evidence, policy, catalog);
      const { confidence, ...fields } = c.expect;
      const got = Object.fromEntries(Object.keys(fields).map((k) => [k, (d as any)[k]]));
      assert.deepEqual(got, fields, d.reasons.join('\n'));
      if (confidence) assert.ok(d.confidence >= confidence[0] && d.confidence <= confidence[1], `confidence ${d.confidence}\n${d.reasons.join('\n')}`);
      if (c.kind === 'ambiguous') {
        assert.ok(d.competing && d.competing.length > 0, 'names the competing signature');
        assert.ok(d.reasons.some((r) => /Competing signature.*\(−0\.15\)/.test(r)), `says the ambiguity cost 0.15:\n${d.reasons.join('\n')}`);
      }
      assert.ok(d.reasons.length > 0 && d.reasons.every((r) => r.length > 10 && /[.!?]$/.test(r)), 'reasons are sentences');
      assert.ok(d.confidence >= 0 && d.confidence <= 1);
    });
  }
});

describe('pm2.failing-to-start', () => {
  const fact = (i: ReturnType<typeof instance>) => instanceFact('pm2.failing-to-start', { instance: i, service: serviceView(evidence([i]), catalog.settings) });
  const cases: Array<{ name: string; instance: ReturnType<typeof instance>; holds: boolean; detail: RegExp }> = [
    {
      name: 'unstable restarts while watched, never answered',
      instance: instance(0, looks.startingAndDying, { unstableRestartsDuringDiagnosis: 2, restartsDuringDiagnosis: 2 }),
      holds: true,
      detail: /^PM2 counted 2 unstable restart\(s\) .* while watched and it never answered its health check \(PM2 online\/stopped, health refused\/refused\/refused\)$/,
    },
    {
      name: 'PM2 gave up while watched',
      instance: instance(0, [looks.startingAndDying[0]!, looks.errored[0]!]),
      holds: true,
      detail: /^PM2 gave up on it while watched/,
    },
    { name: 'errored in every look: PM2 gave up before diagnosis, which cannot tell why', instance: instance(0, [...looks.errored, ...looks.errored]), holds: false, detail: /did not give up on it while watched/ },
    {
      name: 'errored after a stop that timed out is not a start-up failure',
      instance: instance(0, [sample({ status: 'stopping', health: 'timeout', httpStatus: null }), sample({ status: 'errored', health: 'refused', httpStatus: null })]),
      holds: false,
      detail: /did not give up/,
    },
    { name: 'answered in one look', instance: instance(0, [looks.startingAndDying[0]!, {}], { unstableRestartsDuringDiagnosis: 1 }), holds: false, detail: /^answered its health check in 1 of 2 look\(s\), so it starts/ },
    { name: 'older evidence without the field', instance: instance(0, looks.startingAndDying, { unstableRestarts: 6, restartsDuringDiagnosis: 2 }), holds: false, detail: /^no unstable restart while watched/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const v = fact(c.instance);
      assert.equal(v.holds, c.holds, v.detail);
      assert.match(v.detail, c.detail);
    });
  }
});
