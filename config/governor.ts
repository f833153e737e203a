// The governor's section of the config: the bounds every automatic action lives within. Pure zod, no
// I/O: the governor workflow validates its `configure` signal with this same schema, so a worker with a
// newer config cannot hand the running governor something the config loader would have refused.
import { z } from 'zod';

/** Weekdays as a window names them; the index is JavaScript's getUTCDay(). */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const serviceKey = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be a service name (1-63 lowercase letters, digits, ".", "_" or "-")');

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const clock = z.string().regex(HHMM, 'must be HH:MM (24 h, UTC)');

/**
 * A weekly maintenance window, in UTC. `to` earlier than `from` runs past midnight into the next day;
 * `days` (default every day) names the day the window starts on.
 */
export const maintenanceWindowSchema = z
  .object({
    days: z.array(z.enum(WEEKDAYS)).min(1).optional(),
    from: clock,
    to: clock,
    /** Only UTC for now; written out so a reader of the config is never left guessing. */
    timezone: z.literal('UTC').default('UTC'),
  })
  .refine((w) => w.from !== w.to, { message: 'from and to must differ', path: ['to'] });

const breakerFields = {
  /** Verified automatic remediations of one service within `windowMs` that open its breaker. */
  maxRemediations: z.number().int().min(1).max(100),
  windowMs: z.number().int().min(1_000).max(7 * 24 * 3_600_000),
};

const boundFields = {
  /** Granted permits per service in a sliding hour; beyond it automation escalates. 0: never act. */
  actionsPerHour: z.number().int().min(0).max(10_000),
  /** Largest share of a service's instances one action may take out of service at once (at least 1 instance). */
  maxInstanceShare: z.number().gt(0).max(1),
};

/** Per-service tightening or loosening of the global bounds; anything unset follows the global value. */
export const governorServiceOverrideSchema = z.strictObject({
  actionsPerHour: boundFields.actionsPerHour.optional(),
  maxInstanceShare: boundFields.maxInstanceShare.optional(),
  breaker: z.strictObject({ maxRemediations: breakerFields.maxRemediations.optional(), windowMs: breakerFields.windowMs.optional() }).optional(),
});

export const governorSchema = z.object({
  actionsPerHour: boundFields.actionsPerHour.default(6),
  maxInstanceShare: boundFields.maxInstanceShare.default(0.5),
  /** How long a permit holds its service's lease without being released: a dead incident cannot wedge a service. */
  leaseTtlMs: z.number().int().min(1_000).max(3_600_000).default(300_000),
  breaker: z
    .object({
      maxRemediations: breakerFields.maxRemediations.default(3),
      windowMs: breakerFields.windowMs.default(3_600_000),
    })
    .prefault({}),
  /** Weekly maintenance windows per service name: automation only observes during them. */
  maintenance: z.record(serviceKey, z.array(maintenanceWindowSchema)).default({}),
  /** Per-service overrides of actionsPerHour, maxInstanceShare and breaker. */
  services: z.record(serviceKey, governorServiceOverrideSchema).default({}),
});

export type GovernorConfig = z.infer<typeof governorSchema>;
export type MaintenanceWindow = z.infer<typeof maintenanceWindowSchema>;
export type GovernorServiceOverride = z.infer<typeof governorServiceOverrideSchema>;
