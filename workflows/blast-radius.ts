// The blast-radius bound: how much of a service one action may take out of service at once. Pure, no I/O,
// so the governor (which refuses permits beyond it) and the actions (which must never exceed what they
// were permitted) apply one rule.

export interface BlastRadiusRequest {
  /** Instances the action takes out of service at the same moment (a rolling reload takes 1, a cache flush 0). */
  takesOutOfService: number;
  /** Instances the service runs. */
  instances: number;
  /** Largest share of the instances allowed out at once, in (0, 1]. */
  maxInstanceShare: number;
}

export type BlastRadiusVerdict = { allowed: true; limit: number } | { allowed: false; limit: number; reason: string };

/** The most instances one action may take out at once: the share of the instance count, rounded down, and never less than one. */
export function maxOutOfService(instances: number, maxInstanceShare: number): number {
  // The epsilon keeps 0.3 × 10 at 3 despite floating point (2.9999…).
  return Math.max(1, Math.floor(instances * maxInstanceShare + 1e-9));
}

export function checkBlastRadius({ takesOutOfService, instances, maxInstanceShare }: BlastRadiusRequest): BlastRadiusVerdict {
  const limit = maxOutOfService(instances, maxInstanceShare);
  if (takesOutOfService <= limit && takesOutOfService <= instances) return { allowed: true, limit };
  const share = `${Math.round(maxInstanceShare * 100)}% of ${instances}`;
  return {
    allowed: false,
    limit,
    reason: `blast radius: the action would take ${takesOutOfService} of ${instances} instance(s) out of service at once; the bound is ${limit} (${share}, at least 1)`,
  };
}
