// The shape every detector has: it looks at one service every `intervalMs` and reports, per subject
// (an instance, a path, an upstream…), whether that subject looks failing right now. Damping, hold-down,
// alert and resolve are the runner's job (sentinel/run-detector.ts), written once for all of them.
import type { DampingConfig, SentinelConfig, ServiceConfig } from '../config/schema';
import type { Logger } from '../observability/logger';
import type { Pm2Client } from '../pm2/client';
import type { DetectorAlertName } from '../policy/alert-classes';
import type { Witnessed } from '../signals/alert';

export interface Observation {
  /** Stable per thing observed, e.g. `instance:1`, `path:/var/data`, `upstream:payments`. */
  subject: string;
  failing: boolean;
  /** The alert this observation would raise; names map to classes in policy/alert-classes.ts. */
  alertName: DetectorAlertName;
  /** One sentence for the human reading the incident. */
  summary: string;
  instance?: number;
  labels?: Record<string, string>;
  /** The failing probes behind this observation, first-hand, so diagnosis need not repeat them. */
  witnessed?: Witnessed;
}

export interface Detector {
  readonly name: string;
  readonly intervalMs: number;
  readonly damping: DampingConfig;
  observe(): Promise<Observation[]>;
  /** Releases what the detector holds beyond its rounds (e.g. a PM2 bus subscription); the runner calls it once, at stop. */
  stop?(): Promise<void> | void;
}

export interface DetectorContext {
  service: ServiceConfig;
  pm2: Pm2Client;
  sentinel: SentinelConfig;
  logger: Logger;
}

/** Builds the detector for one service, or null when the service's config does not ask for it. */
export type DetectorFactory = (ctx: DetectorContext) => Detector | null;

export const DEFAULT_DAMPING: DampingConfig = { samples: 3, failures: 3, holdDownMs: 30_000 };
