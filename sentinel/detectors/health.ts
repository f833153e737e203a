// Unhealthy health checks and deadlocks: probes every instance PM2 reports online and names what it
// saw — a timeout (hung: deadlock) is not a refusal (down) nor an error status (unhealthy). Exits and
// errored processes belong to the PM2 event watcher.
import { instanceHealthUrl } from '../../config/services';
import { probeHealth, type ProbeResult } from '../../probes/http-health';
import type { DetectorAlertName } from '../../policy/alert-classes';
import type { Pm2Process } from '../../pm2/client';
import type { Witnessed } from '../../signals/alert';
import type { DetectorFactory, Observation } from '../detector';

/** The longest failing streak kept per process as the alert's first-hand evidence. */
const WITNESSED_SAMPLES = 5;

const ALERT_NAMES: Record<ProbeResult['outcome'], DetectorAlertName> = {
  ok: 'InstanceUnhealthy',
  timeout: 'InstanceHealthTimeout',
  refused: 'InstanceRefusingConnections',
  unhealthy: 'InstanceUnhealthy',
  error: 'InstanceHealthError',
};

/**
 * A process PM2 has just (re)started is "online" before it listens, so it refuses connections. Until its
 * first healthy answer, and for at most the startup grace, such a refusal means starting, not down: the
 * startup detector owns that phase (a process that never answers within the grace is a failed startup
 * there, and probed here after it). A timeout or an error status is never "starting": a process that
 * answers is past its start.
 */
function isStarting(p: { pid: number; startedAt: number }, r: ProbeResult, answeredOk: ReadonlySet<number>, now: number, graceMs: number): boolean {
  return r.outcome === 'refused' && !answeredOk.has(p.pid) && now - p.startedAt < graceMs;
}

export const healthDetector: DetectorFactory = ({ service, pm2, sentinel }) => {
  /** Pids that have answered their health check at least once. */
  const answeredOk = new Set<number>();
  /** Per pid, its current streak of failing probes (empty once it answers), newest last. */
  const streaks = new Map<number, Witnessed['samples']>();

  function witness(p: Pm2Process, r: ProbeResult, at: number): Witnessed | undefined {
    if (r.outcome === 'ok') {
      streaks.delete(p.pid);
      return undefined;
    }
    const sample = { at, status: p.status, health: r.outcome, httpStatus: r.httpStatus, latencyMs: r.latencyMs, memoryBytes: p.memoryBytes, cpuPercent: p.cpuPercent };
    const streak = [...(streaks.get(p.pid) ?? []), sample].slice(-WITNESSED_SAMPLES);
    streaks.set(p.pid, streak);
    return { pid: p.pid, restarts: p.restarts, samples: streak };
  }

  function observation(p: Pm2Process, r: ProbeResult, at: number): Observation {
    const failing = r.outcome !== 'ok';
    const witnessed = witness(p, r, at);
    return {
      subject: `instance:${p.instance}`,
      instance: p.instance,
      failing,
      alertName: ALERT_NAMES[r.outcome],
      summary: failing
        ? `${service.name} instance ${p.instance} (pm_id ${p.pmId}) health check ${r.outcome}${r.httpStatus ? ` (HTTP ${r.httpStatus})` : ''} while PM2 reports it online.`
        : `${service.name} instance ${p.instance} answers its health check again.`,
      labels: { url: instanceHealthUrl(service, p.instance) },
      ...(witnessed ? { witnessed } : {}),
    };
  }

  return {
    name: 'health',
    intervalMs: sentinel.probeIntervalMs,
    damping: { samples: sentinel.failuresToAlert, failures: sentinel.failuresToAlert, holdDownMs: sentinel.holdDownMs },
    async observe() {
      const online = (await pm2.listApp(service.name)).filter((p) => p.status === 'online');
      const results = await Promise.all(online.map((p) => probeHealth(instanceHealthUrl(service, p.instance), sentinel.probeTimeoutMs)));
      const now = Date.now();
      const live = new Set(online.map((p) => p.pid));
      for (const pid of answeredOk) if (!live.has(pid)) answeredOk.delete(pid);
      for (const pid of streaks.keys()) if (!live.has(pid)) streaks.delete(pid);
      online.forEach((p, i) => {
        if (results[i]!.outcome === 'ok') answeredOk.add(p.pid);
      });
      // A starting process is left out of the round, so its refusals are not counted by the damping.
      return online.flatMap((p, i) => (isStarting(p, results[i]!, answeredOk, now, service.detectors.startup.graceMs) ? [] : [observation(p, results[i]!, now)]));
    },
  };
};
