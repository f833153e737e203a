// Classification: from evidence to a named signature, a class, a severity, a confidence and the
// reasons a human reads. Pure, so it is table-tested without PM2 and replays identically.
import { RISK_FLAGS, type RiskFlag } from '../signals/alert';
import type { ActionName, Diagnosis, Evidence, IncidentClass, InstanceEvidence, PolicySnapshot, Severity } from './types';

interface Finding {
  pmId: number;
  signatureId: string;
  class: IncidentClass;
  confidence: number;
  reason: string;
}

const CPU_BUSY_PERCENT = 80;

/** Classes the instance evidence (PM2 state + health probes) can see for itself. */
const INSTANCE_VISIBLE = new Set<IncidentClass>(['process-crash', 'unhealthy-health-check', 'deadlock', 'failed-startup']);

function majority(instance: InstanceEvidence, predicate: (s: InstanceEvidence['samples'][number]) => boolean): boolean {
  const hits = instance.samples.filter(predicate).length;
  return instance.samples.length > 0 && hits * 2 > instance.samples.length;
}

function label(i: InstanceEvidence): string {
  return `instance ${i.instance} (pm_id ${i.pmId})`;
}

/** What is wrong with one instance, or null when it is healthy. */
/**
 * What is wrong with one instance, or null when it is healthy. `crashReported` says the sentinel saw
 * this instance exit unasked: PM2 shows a crashing process as "stopped" between an exit and its restart,
 * which must not be mistaken for a process a human stopped on purpose.
 */
export function examineInstance(i: InstanceEvidence, crashReported = false): Finding | null {
  const last = i.samples[i.samples.length - 1];
  if (!last) return null;
  const statuses = [...new Set(i.samples.map((s) => s.status))].join('/');
  const healthy = i.restartsDuringDiagnosis === 0 && last.status === 'online' && last.health === 'ok' && majority(i, (s) => s.health === 'ok');
  if (healthy) return null;

  const stoppedOnPurpose =
    i.samples.every((s) => s.status === 'stopped') && i.restartsDuringDiagnosis === 0 && i.unstableRestarts === 0 && !crashReported;
  if (stoppedOnPurpose) {
    return {
      pmId: i.pmId,
      signatureId: 'process-stopped',
      class: 'process-crash',
      confidence: 0.5,
      reason: `${label(i)} is stopped in PM2 (exit code ${i.exitCode ?? 'none'}); it may have been stopped on purpose, so a human decides.`,
    };
  }
  if (
    i.restartsDuringDiagnosis > 0 ||
    last.status === 'errored' ||
    ((i.unstableRestarts > 0 || crashReported) && (last.health !== 'ok' || last.status !== 'online'))
  ) {
    const why =
      last.status === 'errored'
        ? `PM2 gave up restarting it (status errored, exit code ${i.exitCode ?? 'unknown'})`
        : `it restarted ${i.restartsDuringDiagnosis} time(s) while being watched (statuses ${statuses}, exit code ${i.exitCode ?? 'unknown'}, ${i.unstableRestarts} unstable restarts)`;
    return {
      pmId: i.pmId,
      signatureId: 'crash-loop',
      class: 'process-crash',
      confidence: last.status === 'errored' || i.restartsDuringDiagnosis > 1 ? 0.9 : 0.8,
      reason: `${label(i)} keeps crashing: ${why}.`,
    };
  }
  if (majority(i, (s) => s.status === 'online' && s.health === 'timeout')) {
    const cpu = Math.max(...i.samples.map((s) => s.cpuPercent));
    const busy = cpu >= CPU_BUSY_PERCENT;
    return {
      pmId: i.pmId,
      signatureId: 'event-loop-deadlock',
      class: 'deadlock',
      confidence: busy ? 0.95 : 0.9,
      reason: `${label(i)} is online in PM2 but its health check timed out in ${i.samples.filter((s) => s.health === 'timeout').length} of ${i.samples.length} probes${busy ? `, with CPU at ${cpu}% (event loop blocked)` : ''}.`,
    };
  }
  if (majority(i, (s) => s.status === 'online' && s.health === 'unhealthy')) {
    return {
      pmId: i.pmId,
      signatureId: 'health-check-failing',
      class: 'unhealthy-health-check',
      confidence: 0.85,
      reason: `${label(i)} is online but its health check answers HTTP ${last.httpStatus ?? 'error'}.`,
    };
  }
  if (majority(i, (s) => s.status === 'online' && s.health === 'refused')) {
    return {
      pmId: i.pmId,
      signatureId: 'online-not-listening',
      class: 'unhealthy-health-check',
      confidence: 0.6,
      reason: `${label(i)} is online in PM2 but refuses connections on ${i.healthUrl}; it may still be starting or listening elsewhere.`,
    };
  }
  return {
    pmId: i.pmId,
    signatureId: 'unrecognised',
    class: 'unhealthy-health-check',
    confidence: 0.3,
    reason: `${label(i)} is not healthy (statuses ${statuses}, health ${i.samples.map((s) => s.health).join('/')}) but matches no known signature.`,
  };
}

/** The first class named by a still-firing alert that instance evidence cannot confirm by itself. */
function detectedElsewhere(evidence: Evidence): { class: IncidentClass; alerts: string[] } | null {
  const named = evidence.alerts.firing.filter(
    (a): a is { name: string; class: IncidentClass } => a.class !== null && !INSTANCE_VISIBLE.has(a.class),
  );
  const first = named[0];
  return first ? { class: first.class, alerts: named.filter((a) => a.class === first.class).map((a) => a.name) } : null;
}

function riskFlagsOf(evidence: Evidence): RiskFlag[] {
  const fromTags = evidence.serviceTags.filter((t): t is RiskFlag => (RISK_FLAGS as readonly string[]).includes(t));
  return [...new Set([...evidence.alerts.risk, ...fromTags])];
}

function playbookFor(findings: Finding[], evidence: Evidence): ActionName[] {
  const affected = new Set(findings.map((f) => f.pmId));
  const everyInstance = evidence.instances.every((i) => affected.has(i.pmId));
  const cluster = evidence.instances.every((i) => i.execMode === 'cluster');
  const crashing = findings.some((f) => f.signatureId === 'crash-loop');
  // A rolling reload replaces every worker without downtime; it is worth its wider reach only when
  // every instance is sick anyway and they are alive enough to hand over.
  return cluster && everyInstance && !crashing ? ['pm2-reload'] : ['pm2-restart'];
}

export function classify(evidence: Evidence, policy: PolicySnapshot): Diagnosis {
  const riskFlags = riskFlagsOf(evidence);
  const base = { riskFlags, policy };
  if (evidence.instances.length === 0) {
    return {
      ...base,
      signatureId: 'service-absent',
      class: null,
      healthy: false,
      severity: 'medium',
      confidence: 0.2,
      reasons: [`PM2 runs no process named ${evidence.service}; it was deleted or never started, so a human decides.`],
      affectedPmIds: [],
      playbook: [],
    };
  }
  const crashReported = new Set(evidence.alerts.firing.some((a) => a.class === 'process-crash') ? evidence.alerts.instances : []);
  const findings = evidence.instances
    .map((i) => examineInstance(i, crashReported.has(i.instance)))
    .filter((f): f is Finding => f !== null);
  const detected = detectedElsewhere(evidence);
  if (findings.length === 0 && detected) {
    // The instances answer, but a detector still reports trouble they cannot show (disk, memory trend,
    // upstreams…). Name it, and hand it to a human until the class has an approved playbook.
    return {
      ...base,
      signatureId: `detected-${detected.class}`,
      class: detected.class,
      healthy: false,
      severity: 'low',
      confidence: 0.8,
      reasons: [
        `Every instance answers its health check, but ${detected.alerts.join(', ')} is still firing (${detected.class}).`,
        'No automatic action is approved for this class yet, so a human decides.',
      ],
      affectedPmIds: [],
      playbook: [],
    };
  }
  if (findings.length === 0) {
    const crashed = evidence.alerts.names.some((n) => /exit|crash|restart/i.test(n));
    return {
      ...base,
      signatureId: crashed ? 'crash-recovered-by-pm2' : 'healthy',
      class: crashed ? 'process-crash' : null,
      healthy: true,
      severity: 'low',
      confidence: 0.9,
      reasons: [
        `All ${evidence.instances.length} instance(s) are online and answer their health check, with no restarts while watched.`,
        ...(crashed ? ['PM2 already restarted the process that exited; nothing to do but verify.'] : []),
      ],
      affectedPmIds: [],
      playbook: [],
    };
  }
  const ranked = [...findings].sort((a, b) => b.confidence - a.confidence);
  const primary = ranked[0]!;
  const classes = [...new Set(findings.map((f) => f.class))];
  const competing = classes.length > 1;
  const confidence = Math.max(0, +(primary.confidence - (competing ? 0.15 : 0)).toFixed(2));
  const everyInstance = findings.length >= Math.max(evidence.instances.length, evidence.expectedInstances);
  const severity: Severity = everyInstance ? 'medium' : 'low';
  return {
    ...base,
    signatureId: primary.signatureId,
    class: primary.class,
    healthy: false,
    severity,
    confidence,
    reasons: [
      ...ranked.map((f) => f.reason),
      `${findings.length} of ${evidence.instances.length} instance(s) affected, so severity is ${severity}.`,
      ...(competing ? [`Competing signatures (${classes.join(', ')}) lower the confidence by 0.15.`] : []),
      ...(riskFlags.length ? [`Risk signals present: ${riskFlags.join(', ')}.`] : []),
    ],
    affectedPmIds: findings.map((f) => f.pmId),
    playbook: playbookFor(findings, evidence),
  };
}
