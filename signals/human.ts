// Payloads of the signals a human sends (CLI, Temporal CLI, Web UI). Every one names its operator so
// the history records who did what; anything malformed is recorded and ignored, never half-applied.
import { z } from 'zod';
import { ACTION_NAMES } from '../policy/actions';
import { INCIDENT_CLASSES } from '../policy/types';

export const operatorPayload = z.object({
  operator: z.string().trim().min(1, 'operator is required').max(100),
  reason: z.string().max(2000).optional(),
});

export const resolvePayload = operatorPayload.extend({
  rootCause: z.string().max(2000).optional(),
  fix: z.string().max(2000).optional(),
  /** The class it really was, when the diagnosis had none or the wrong one (for the drafted signature). */
  class: z.enum(INCIDENT_CLASSES).optional(),
  /** The approved action that fixed it, if one did: the drafted signature's playbook. */
  action: z.enum(ACTION_NAMES).optional(),
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
