// Diagnosis evidence: PM2's view and a health probe of every instance, sampled a few times so a
// process dying and coming back between two looks is still seen (restarts counted while watching), and
// what the instances' recent log lines say, matched against the catalog's log signals (log-evidence.ts).
// One look is enough when it is decisive: every instance the sentinel saw failing is still that same
// process (its probes stand in, witnessed-evidence.ts) and every other instance answers now.
// An instance that has just been started after exiting and does not answer yet is looked at a little
// longer, until PM2's verdict on that start is in (pm2-verdict.ts): otherwise a start-up that keeps failing,
// seen between two of its exits, looks like a process that crashed once and is being restarted.
import { Context } from '@temporalio/activity';
import { findService, instanceHealthUrl } from '../config/services';
import { catalogFor } from '../policy/catalog/load';
import type { Pm2Process } from '../pm2/client';
import { probeHealth } from '../probes/http-health';
import type { Evidence, InstanceEvidence } from '../policy/types';
import type { EvidenceRequest } from './types';
import { sleep, type ActivityDeps } from './deps';
import { collectLogEvidence } from './log-evidence';
import { deployEvidence } from './deploy-evidence';
import { trustedWitness } from './witnessed-evidence';
import { awaitingVerdict, exitReported, startLimitsOf, verdictSeen } from './pm2-verdict';

/** Between looks while waiting for PM2's verdict: a failing start-up exits every few hundred ms. */
export const VERDICT_POLL_MS = 200;

export async function collectEvidence({ config, pm2 }: ActivityDeps, req: EvidenceRequest): Promise<Evidence> {
  const service = findService(config, req.service);
  const { samples, sampleIntervalMs, probeTimeoutMs, trustWitnessedMs } = config.policy.diagnosis;
  const settings = catalogFor(config.policy.catalogFiles).settings;
  const byPmId = new Map<number, InstanceEvidence>();
  const firstRestarts = new Map<number, number>();
  const firstUnstable = new Map<number, number>();
  let lastLook: Pm2Process[] = [];
  const isLocal = Context.current().info.isLocal;

  /** One look at PM2 and a probe of every instance not witnessed; true when it settles the diagnosis. */
  const look = async (n: number): Promise<boolean> => {
    const processes = await pm2.listApp(service.name);
    lastLook = processes;
    const now = Date.now();
    const witnessed = processes.map((p) => (n === 0 ? trustedWitness(req.alerts, p, now, trustWitnessedMs) : null));
    const probes = await Promise.all(
      processes.map((p, idx) => (witnessed[idx] ? null : probeHealth(instanceHealthUrl(service, p.instance), probeTimeoutMs))),
    );
    processes.forEach((p, idx) => {
      const probe = probes[idx];
      if (!firstRestarts.has(p.pmId)) firstRestarts.set(p.pmId, p.restarts);
      if (!firstUnstable.has(p.pmId)) firstUnstable.set(p.pmId, p.unstableRestarts);
      const instance = byPmId.get(p.pmId) ?? {
        pmId: p.pmId,
        instance: p.instance,
        execMode: p.execMode,
        healthUrl: instanceHealthUrl(service, p.instance),
        exitCode: p.exitCode,
        unstableRestarts: p.unstableRestarts,
        restartsDuringDiagnosis: 0,
        startLimits: startLimitsOf(p),
        samples: [],
      };
      byPmId.set(p.pmId, instance);
      instance.exitCode = p.exitCode;
      instance.unstableRestarts = p.unstableRestarts;
      instance.restartsDuringDiagnosis = p.restarts - firstRestarts.get(p.pmId)!;
      instance.unstableRestartsDuringDiagnosis = Math.max(0, p.unstableRestarts - firstUnstable.get(p.pmId)!);
      if (p.gaveUp) instance.pm2GaveUp = { lastStartMsBeforeLook: Math.max(0, now - p.startedAt) };
      else delete instance.pm2GaveUp;
      if (!probe) {
        instance.samples.push(...witnessed[idx]!);
        return;
      }
      instance.samples.push({
        at: Date.now(),
        status: p.status,
        pid: p.pid,
        restarts: p.restarts,
        health: probe.outcome,
        httpStatus: probe.httpStatus,
        latencyMs: probe.latencyMs,
        memoryBytes: p.memoryBytes,
        cpuPercent: p.cpuPercent,
      });
    });
    // A local activity (the incident's decision) cannot heartbeat: its workflow task is kept alive instead.
    if (!isLocal) Context.current().heartbeat({ sample: n + 1 });
    return witnessed.some(Boolean) && processes.every((p, idx) => witnessed[idx] || (p.status === 'online' && probes[idx]?.outcome === 'ok'));
  };

  /** Instances whose current start PM2 has not judged yet, with why. */
  const undecided = (): Map<number, string> => {
    const now = Date.now();
    const out = new Map<number, string>();
    for (const p of lastLook) {
      const seen = byPmId.get(p.pmId);
      if (!seen) continue;
      const answering = seen.samples[seen.samples.length - 1]?.health === 'ok';
      const why = awaitingVerdict(p, { restartsDuringDiagnosis: seen.restartsDuringDiagnosis, answering }, exitReported(req.alerts, p.instance), now);
      if (why) out.set(p.pmId, why);
    }
    return out;
  };

  let n = 0;
  let decisive = false;
  for (; n < samples && !decisive; n++) {
    if (n > 0) await sleep(sampleIntervalMs);
    decisive = await look(n);
  }

  // Bounded twice over: each undecided start is judged by PM2 within its min_uptime, and the whole wait
  // never outlasts the catalog's pm2VerdictWaitMs.
  let waiting = decisive ? new Map<number, string>() : undecided();
  if (waiting.size > 0 && settings.pm2VerdictWaitMs > 0) {
    const started = Date.now();
    const deadline = started + settings.pm2VerdictWaitMs;
    const waitedFor = new Set(waiting.keys());
    while (waiting.size > 0 && Date.now() < deadline) {
      await sleep(Math.min(VERDICT_POLL_MS, Math.max(0, deadline - Date.now())));
      await look(n++);
      waiting = undecided();
      for (const pmId of waiting.keys()) waitedFor.add(pmId);
    }
    const waitedMs = Date.now() - started;
    for (const pmId of waitedFor) {
      const instance = byPmId.get(pmId);
      if (!instance) continue;
      const ended = waiting.has(pmId) ? `still undecided at the ${settings.pm2VerdictWaitMs} ms limit (${waiting.get(pmId)})` : verdictSeen(instance);
      instance.verdictWait = { waitedMs, ended };
    }
  }

  const [logs, lastDeploy] = await Promise.all([collectLogEvidence(lastLook, settings), deployEvidence(service)]);

  return {
    service: service.name,
    collectedAt: new Date().toISOString(),
    expectedInstances: service.instances,
    serviceTags: service.tags,
    instances: [...byPmId.values()],
    alerts: req.alerts,
    ...(logs.length ? { logs } : {}),
    ...(lastDeploy ? { lastDeploy } : {}),
  };
}

