// The normalised alert: what every source (Alertmanager, Grafana, generic JSON, the sentinel) becomes
// before it reaches an incident. Validated again inside the workflow's `alert` handler.
import { z } from 'zod';

export const RISK_FLAGS = ['security', 'data-consistency', 'auth', 'billing'] as const;
export const riskFlagSchema = z.enum(RISK_FLAGS);
export type RiskFlag = z.infer<typeof riskFlagSchema>;

export const ALERT_SOURCES = ['alertmanager', 'grafana', 'generic', 'sentinel'] as const;

const stringMap = z.record(z.string(), z.string().max(4096));

export const PROBE_OUTCOMES = ['ok', 'refused', 'timeout', 'unhealthy', 'error'] as const;

/** One health probe the sentinel made itself, with PM2's reading of the process at that moment. */
export const witnessedSampleSchema = z.object({
  /** Epoch ms on the sentinel's clock. */
  at: z.number().int().nonnegative(),
  status: z.string().max(32),
  health: z.enum(PROBE_OUTCOMES),
  httpStatus: z.number().int().min(0).max(999).nullable(),
  latencyMs: z.number().nonnegative(),
  memoryBytes: z.number().nonnegative(),
  cpuPercent: z.number().nonnegative(),
});

/**
 * What the sentinel saw of the instance it alerts about: the failing probes that made it fire, all of one
 * process (pid). Diagnosis may take them instead of probing again while they are fresh and the process is
 * the same (activities/witnessed-evidence.ts). Only the sentinel sets this; webhook parsers never do.
 */
export const witnessedSchema = z.object({
  pid: z.number().int().nonnegative(),
  restarts: z.number().int().nonnegative(),
  samples: z.array(witnessedSampleSchema).min(1).max(10),
});
export type Witnessed = z.infer<typeof witnessedSchema>;

export const alertSchema = z.object({
  source: z.enum(ALERT_SOURCES),
  /** Configured service (PM2 app name) the alert is about. */
  service: z.string().min(1).max(63),
  /** Alert name as the source calls it, e.g. "InstanceHealthTimeout". */
  name: z.string().min(1).max(200),
  status: z.enum(['firing', 'resolved']),
  /** NODE_APP_INSTANCE of the instance concerned, when the alert names one. */
  instance: z.number().int().min(0).max(1024).optional(),
  summary: z.string().max(4096).default(''),
  labels: stringMap.default({}),
  annotations: stringMap.default({}),
  risk: z.array(riskFlagSchema).default([]),
  startsAt: z.string().max(64),
  /** Stable identity of the alert at its source, used to count duplicates. */
  fingerprint: z.string().min(1).max(200),
  /** How many identical deliveries this one stands for (the ingress coalesces storms). */
  count: z.number().int().min(1).max(1_000_000).default(1),
  witnessed: witnessedSchema.optional(),
});

export type Alert = z.infer<typeof alertSchema>;
export type AlertInput = z.input<typeof alertSchema>;
