// The vocabulary shared by diagnosis, classification, the gate and the actions. Types only: the
// workflow imports these, so nothing here may touch I/O.
import type { PROBE_OUTCOMES, RiskFlag, Witnessed } from '../signals/alert';

/** The sentinel's first-hand probes of one instance, as an incident keeps them (signals/alert.ts Witnessed). */
export type AlertWitness = Witnessed & { instance: number };

/** The thirteen pre-approved incident classes of the specification. */
export const INCIDENT_CLASSES = [
  'process-crash',
  'memory-leak',
  'cpu-spike',
  'disk-pressure',
  'node-reboot',
  'unhealthy-health-check',
  'failed-startup',
  'deadlock',
  'route-timeout',
  'bad-deploy',
  'upstream-failure',
  'dns-failure',
  'lb-imbalance',
] as const;
export type IncidentClass = (typeof INCIDENT_CLASSES)[number];

export type Severity = 'low' | 'medium' | 'high';
export type AutomationMode = 'auto' | 'observe' | 'frozen';

/** How one health probe ended: refused (nothing listening) and timeout (hung) mean different things. */
export type ProbeOutcome = (typeof PROBE_OUTCOMES)[number];

export interface InstanceSample {
  at: number;
  status: string;
  pid: number;
  restarts: number;
  health: ProbeOutcome;
  httpStatus: number | null;
  latencyMs: number;
  memoryBytes: number;
  cpuPercent: number;
  /** Set when the sentinel made this probe (its alert's first-hand evidence), not diagnosis. */
  by?: 'sentinel';
}

export interface InstanceEvidence {
  pmId: number;
  instance: number;
  execMode: 'fork' | 'cluster';
  healthUrl: string;
  exitCode: number | null;
  unstableRestarts: number;
  /** PM2 restarts counted while diagnosis watched: > 0 means it is dying right now. */
  restartsDuringDiagnosis: number;
  /**
   * Of those, the unstable ones (PM2: exited sooner than min_uptime after starting): it is failing to
   * start, not crashing after serving. Absent in older histories.
   */
  unstableRestartsDuringDiagnosis?: number;
  /** PM2's limits on a start of it (min_uptime, max_restarts), as its daemon applies them. Absent in older histories. */
  startLimits?: { minUptimeMs: number; maxRestarts: number };
  /**
   * Set when the last look found that PM2 had given up on it (errored after max_restarts unstable restarts,
   * not a stop that timed out): how long before that look its last start was. Absent otherwise and in older
   * histories.
   */
  pm2GaveUp?: { lastStartMsBeforeLook: number };
  /**
   * Diagnosis looked on for PM2's verdict on a start of it (activities/pm2-verdict.ts): for how long, and
   * what ended the wait. Absent when it did not wait (and in older histories).
   */
  verdictWait?: { waitedMs: number; ended: string };
  samples: InstanceSample[];
}

/** One log signal (policy/log-signals.ts) that reached its minimum in a log's recent lines. */
export interface LogSignalMatch {
  signal: string;
  /** The risk flag the signal carries, recorded so the history explains itself; null: a fact only. */
  risk: RiskFlag | null;
  /** Recent lines that matched (all of them, not only those quoted). */
  count: number;
  /** The latest distinct matching lines, trimmed and with secrets masked; a few at most. */
  lines: string[];
}

/**
 * What the tail of one PM2 log file said: only the matches of the catalog's log signals, never the raw log
 * (evidence is recorded in the workflow history). One file may serve several instances (PM2 merge_logs).
 */
export interface LogEvidence {
  /** NODE_APP_INSTANCE of every process writing this file, and their pm_ids. */
  instances: number[];
  pmIds: number[];
  stream: 'err' | 'out';
  file: string | null;
  /** How it was read, or why nothing could be: "read the last 200 lines, 12 from the last 10 min", "missing". */
  read: string;
  /** false when the file could not be read (missing, unreadable, timed out, no file): no lines, no evidence. */
  readable: boolean;
  matches: LogSignalMatch[];
}

export interface Evidence {
  service: string;
  collectedAt: string;
  expectedInstances: number;
  serviceTags: string[];
  instances: InstanceEvidence[];
  /** `names`: every alert seen; `firing`: those whose latest state is firing, with the class they name. */
  alerts: {
    names: string[];
    firing: Array<{ name: string; class: IncidentClass | null }>;
    count: number;
    risk: RiskFlag[];
    instances: number[];
    /** The sentinel's own failing probes of each instance it alerted about (absent in older histories). */
    witnessed?: AlertWitness[];
  };
  /** The instances' recent log lines matched against the catalog's log signals (absent in older histories). */
  logs?: LogEvidence[];
  /**
   * The latest entry of the service's deploy registry, for services deployed through releases
   * (`actions.deploy`); absent otherwise, with no registry entry, and in older histories.
   */
  lastDeploy?: DeployEvidence;
}

/** The release that runs, as the deploy registry recorded it, and how recent counts as "just deployed". */
export interface DeployEvidence {
  version: string;
  /** ISO 8601. */
  at: string;
  by: string;
  /** A deploy, or zero-touch's automatic rollback / its roll-forward. */
  kind: 'deploy' | 'rollback' | 'roll-forward';
  /** A deploy within this long before `collectedAt` is recent (the fact `deploy.recent`). */
  recentWithinMs: number;
}

export type { ActionName } from './actions';
import type { ActionName } from './actions';

/** The policy in force when a diagnosis was made; recorded in history with it. */
export interface PolicySnapshot {
  mode: AutomationMode;
  confidenceThreshold: number;
  maxFailedAttempts: number;
  /**
   * Set when drill certification is enforced (policy.certification) and this class has no passing drill
   * recent enough: automation only observes it. Absent otherwise (and in every older history).
   */
  uncertified?: string;
}

export interface Diagnosis {
  signatureId: string;
  /** null when nothing is wrong any more (healthy) or nothing matched (unclear). */
  class: IncidentClass | null;
  healthy: boolean;
  severity: Severity;
  confidence: number;
  /** Sentences a human reads in the Web UI: what was seen and why it led here. */
  reasons: string[];
  riskFlags: RiskFlag[];
  /** pm_ids of the instances that need the action. */
  affectedPmIds: number[];
  playbook: ActionName[];
  policy: PolicySnapshot;
  /** Signatures of other classes that matched too; their presence lowered the confidence. */
  competing?: string[];
  /** The signature catalog in force: its digest and the files it was built from. */
  catalog?: { digest: string; files: string[] };
}
