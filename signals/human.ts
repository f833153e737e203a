// Payloads of the signals a human sends (CLI, Temporal CLI, Web UI). Every one names its operator so
// the history records who did what; anything malformed is recorded and ignored, never half-applied.
import { z } from 'zod';

export const operatorPayload = z.object({
  operator: z.string().trim().min(1, 'operator is required').max(100),
  reason: z.string().max(2000).optional(),
});

export const resolvePayload = operatorPayload.extend({
  rootCause: z.string().max(2000).optional(),
  fix: z.string().max(2000).optional(),
});

export type OperatorPayload = z.infer<typeof operatorPayload>;
export type ResolvePayload = z.infer<typeof resolvePayload>;

export const HUMAN_SIGNALS = ['pause', 'resume', 'takeOver', 'release', 'approve', 'reject', 'resolve', 'revert'] as const;
export type HumanSignalName = (typeof HUMAN_SIGNALS)[number];

export const humanSignalPayloads: Record<HumanSignalName, z.ZodType<OperatorPayload>> = {
  pause: operatorPayload,
  resume: operatorPayload,
  takeOver: operatorPayload,
  release: operatorPayload,
  approve: operatorPayload,
  reject: operatorPayload,
  resolve: resolvePayload,
  revert: operatorPayload,
};
