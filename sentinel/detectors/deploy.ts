// Bad deploy: the service's last recorded deploy is recent (within `windowMs`) and, counting only what was
// answered after its warm-up, more than `errorRatio` of at least `minRequests` requests failed with a 5xx.
// Errors with no recent deploy are some other incident; errors only during warm-up are a blip. The
// sentinel's own scrapes and health probes are left out (instance-metrics.ts): they are not user traffic.
import type { DetectorsConfig } from '../../config/schema';
import { statePath } from '../../config/paths';
import { DeployRegistry, type DeployRecord } from '../../deploys/registry';
import { DEFAULT_DAMPING, type DetectorFactory, type Observation } from '../detector';
import { InstanceMetrics } from './instance-metrics';
import type { Snapshot } from './route-snapshot';
import { increaseSince } from './window-rates';

type DeployConfig = NonNullable<DetectorsConfig['deploy']>;

export type DeployPhase = 'outside-window' | 'warming-up' | 'judged';

export interface DeployVerdict {
  phase: DeployPhase;
  failing: boolean;
  requests: number;
  errors: number;
}

/** Requests and 5xx answered after `since`, summed over every instance and route. */
export function trafficAfter(histories: Iterable<Snapshot[]>, since: number): { requests: number; errors: number } {
  let requests = 0;
  let errors = 0;
  for (const history of histories) {
    // The first snapshot taken after `since` is the baseline: whatever happened before it is not counted.
    const window = increaseSince(history.filter((s) => s.at >= since), -Infinity);
    for (const c of Object.values(window?.routes ?? {})) {
      requests += c.requests;
      errors += c.errors;
    }
  }
  return { requests, errors };
}

export function judgeDeploy(
  deployedAt: number,
  now: number,
  histories: Iterable<Snapshot[]>,
  cfg: Pick<DeployConfig, 'windowMs' | 'warmupMs' | 'errorRatio' | 'minRequests'>,
): DeployVerdict {
  const age = now - deployedAt;
  if (age < 0 || age > cfg.windowMs) return { phase: 'outside-window', failing: false, requests: 0, errors: 0 };
  if (age < cfg.warmupMs) return { phase: 'warming-up', failing: false, requests: 0, errors: 0 };
  const { requests, errors } = trafficAfter(histories, deployedAt + cfg.warmupMs);
  const failing = requests >= cfg.minRequests && errors / requests > cfg.errorRatio;
  return { phase: 'judged', failing, requests, errors };
}

function describe(service: string, d: DeployRecord, v: DeployVerdict, cfg: DeployConfig): string {
  const release = `${service} release ${d.version} (deployed ${d.at} by ${d.by})`;
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  if (v.phase === 'outside-window') return `${release} is past its ${cfg.windowMs / 1000} s watch window.`;
  if (v.phase === 'warming-up') return `${release} is warming up.`;
  const ratio = v.requests ? v.errors / v.requests : 0;
  return v.failing
    ? `${release}: ${v.errors} of ${v.requests} requests since warm-up failed with 5xx (${pct(ratio)} > ${pct(cfg.errorRatio)}).`
    : `${release}: ${v.errors} of ${v.requests} requests since warm-up failed with 5xx, within ${pct(cfg.errorRatio)}.`;
}

export const deployDetector: DetectorFactory = ({ service, pm2, sentinel, logger }) => {
  const cfg = service.detectors.deploy;
  if (!cfg) return null;
  const damping = cfg.damping ?? DEFAULT_DAMPING;
  const registry = new DeployRegistry(statePath(cfg.registryPath));
  const metricsPath = service.detectors.routes?.metricsPath ?? '/metrics';
  const metrics = new InstanceMetrics({ service, pm2, metricsPath, timeoutMs: sentinel.probeTimeoutMs, keepMs: cfg.windowMs, logger });
  // Releases reported earlier keep being reported healthy for a full damping window once superseded,
  // so an alert on a release that was rolled back or replaced resolves instead of dangling.
  const superseded = new Map<string, { observation: Observation; roundsLeft: number }>();
  let current: Observation | null = null;

  return {
    name: 'deploy',
    intervalMs: cfg.intervalMs,
    damping,
    async observe() {
      const [last, histories] = await Promise.all([registry.lastDeploy(service.name), metrics.sample()]);
      const observations: Observation[] = [];
      if (last) {
        const verdict = judgeDeploy(Date.parse(last.at), Date.now(), histories.values(), cfg);
        const observation: Observation = {
          subject: `deploy:${last.version}`,
          failing: verdict.failing,
          alertName: 'BadDeploy',
          summary: describe(service.name, last, verdict, cfg),
          labels: { release: last.version, deployedAt: last.at },
        };
        if (current && current.subject !== observation.subject) superseded.set(current.subject, { observation: current, roundsLeft: damping.samples });
        superseded.delete(observation.subject);
        current = observation;
        // With no instance's scrape answered this round there is no traffic to judge: no verdict, rather
        // than a healthy one that would reset the damping of a release that is failing.
        if (histories.size > 0 || verdict.phase !== 'judged') observations.push(observation);
      }
      for (const [subject, entry] of superseded) {
        observations.push({ ...entry.observation, failing: false, summary: `${service.name} release ${entry.observation.labels?.release} was superseded by a later deploy.` });
        if (--entry.roundsLeft <= 0) superseded.delete(subject);
      }
      return observations;
    },
  };
};
