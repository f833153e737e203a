// Evidence builders for classification tests: an instance is a list of PM2 + health samples, the
// service adds alerts. Defaults describe a healthy instance and no alert. pm2Process: what PM2 lists.
import type { Pm2Process } from '../../pm2/client';
import type { RiskFlag } from '../../signals/alert';
import type { Evidence, IncidentClass, InstanceEvidence, InstanceSample, PolicySnapshot } from '../../policy/types';

export const policy: PolicySnapshot = { mode: 'auto', confidenceThreshold: 0.7, maxFailedAttempts: 2 };

export function sample(over: Partial<InstanceSample> = {}): InstanceSample {
  return { at: 0, status: 'online', pid: 100, restarts: 0, health: 'ok', httpStatus: 200, latencyMs: 3, memoryBytes: 5e7, cpuPercent: 2, ...over };
}

export function instance(pmId: number, samples: Partial<InstanceSample>[], over: Partial<InstanceEvidence> = {}): InstanceEvidence {
  return {
    pmId,
    instance: pmId,
    execMode: 'fork',
    healthUrl: `http://127.0.0.1:${3100 + pmId}/healthz`,
    exitCode: null,
    unstableRestarts: 0,
    restartsDuringDiagnosis: 0,
    samples: samples.map(sample),
    ...over,
  };
}

/** Firing alerts (name → class), plus the instances they name and risk labels. */
export function alerts(firing: Record<string, IncidentClass | null>, opts: { instances?: number[]; resolved?: string[]; risk?: RiskFlag[] } = {}): Evidence['alerts'] {
  const names = [...Object.keys(firing), ...(opts.resolved ?? [])];
  return {
    names,
    firing: Object.entries(firing).map(([name, cls]) => ({ name, class: cls })),
    count: names.length,
    risk: opts.risk ?? [],
    instances: opts.instances ?? [],
  };
}

export function evidence(instances: InstanceEvidence[], over: Partial<Evidence> = {}): Evidence {
  return {
    service: 'localize-api',
    collectedAt: '2026-11-30T00:00:00Z',
    expectedInstances: instances.length,
    serviceTags: [],
    instances,
    alerts: alerts({}),
    ...over,
  };
}

const times = <T>(n: number, s: T): T[] => Array.from({ length: n }, () => s);

/** Three looks of each kind. */
export const looks = {
  ok: times(3, {}),
  hung: times(3, { health: 'timeout' as const, httpStatus: null }),
  hungBusy: times(3, { health: 'timeout' as const, httpStatus: null, cpuPercent: 99 }),
  sick: times(3, { health: 'unhealthy' as const, httpStatus: 503 }),
  broken: times(3, { health: 'error' as const, httpStatus: null }),
  refused: times(3, { health: 'refused' as const, httpStatus: null }),
  busy: times(3, { cpuPercent: 97 }),
  leaking: [{ memoryBytes: 3e8 }, { memoryBytes: 3.2e8 }, { memoryBytes: 3.5e8 }],
  stopped: times(2, { status: 'stopped', health: 'refused' as const, httpStatus: null }),
  errored: [{ status: 'errored', health: 'refused' as const, httpStatus: null }],
  launching: times(3, { status: 'launching', health: 'refused' as const, httpStatus: null }),
  /** Exiting right at start-up: PM2 shows it online for a moment, then stopped between its restarts; never answers. */
  startingAndDying: [
    { status: 'online', health: 'refused' as const, httpStatus: null, restarts: 4 },
    { status: 'stopped', health: 'refused' as const, httpStatus: null, restarts: 5 },
    { status: 'online', health: 'refused' as const, httpStatus: null, restarts: 6 },
  ],
  /** A serving process that exited: PM2 restarted it between the first and second look, and it answers again. */
  crashedAndBack: [{ status: 'stopped', health: 'refused' as const, httpStatus: null, restarts: 3 }, { restarts: 4 }, { restarts: 4 }],
};

/** A PM2 process as `Pm2Client.list` reports it: online, fork mode, never restarted, unless `over` says otherwise. */
export function pm2Process(instance: number, over: Partial<Pm2Process> = {}): Pm2Process {
  return {
    pmId: instance,
    name: 'svc',
    instance,
    pid: 100 + instance,
    status: 'online',
    execMode: 'fork',
    restarts: 0,
    unstableRestarts: 0,
    exitCode: null,
    startedAt: 0,
    memoryBytes: 0,
    cpuPercent: 0,
    ...over,
  };
}
