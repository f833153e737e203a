// Diagnosis evidence: PM2's view and a health probe of every instance, sampled a few times so a
// process dying and coming back between two looks is still seen (restarts counted while watching), and
// what the instances' recent log lines say, matched against the catalog's log signals (log-evidence.ts).
// One look is enough when it is decisive: every instance the sentinel saw failing is still that same
// process (its probes stand in, witnessed-evidence.ts) and every other instance answers now.
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

export async function collectEvidence({ config, pm2 }: ActivityDeps, req: EvidenceRequest): Promise<Evidence> {
  const service = findService(config, req.service);
  const { samples, sampleIntervalMs, probeTimeoutMs, trustWitnessedMs } = config.policy.diagnosis;
  const byPmId = new Map<number, InstanceEvidence>();
  const firstRestarts = new Map<number, number>();
  const firstUnstable = new Map<number, number>();
  let lastLook: Pm2Process[] = [];

  for (let n = 0; n < samples; n++) {
    if (n > 0) await sleep(sampleIntervalMs);
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
        samples: [],
      };
      byPmId.set(p.pmId, instance);
      instance.exitCode = p.exitCode;
      instance.unstableRestarts = p.unstableRestarts;
      instance.restartsDuringDiagnosis = p.restarts - firstRestarts.get(p.pmId)!;
      instance.unstableRestartsDuringDiagnosis = Math.max(0, p.unstableRestarts - firstUnstable.get(p.pmId)!);
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
    if (!Context.current().info.isLocal) Context.current().heartbeat({ sample: n + 1 });
    const decisive = witnessed.some(Boolean) && processes.every((p, idx) => witnessed[idx] || (p.status === 'online' && probes[idx]?.outcome === 'ok'));
    if (decisive) break;
  }
  const [logs, lastDeploy] = await Promise.all([collectLogEvidence(lastLook, catalogFor(config.policy.catalogFiles).settings), deployEvidence(service)]);

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
