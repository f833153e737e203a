// Payloads of the signals a human sends (CLI, Temporal CLI, Web UI). Every one names its operator so
// the history records who did what; anything malformed is recorded and ignored, never half-applied.
import type { z } from 'zod';
import { ACTION_NAMES } from '../policy/actions';
import { INCIDENT_CLASSES } from '../policy/types';

/**
 * zod itself is required on first use, like the schemas: the incident workflow imports this module, and the
 * reusable V8 context evaluates every module a new workflow imports in its first workflow task.
 */
function zod(): typeof z {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred evaluation, see above
  return (require('zod') as typeof import('zod')).z;
}

function operatorPayloadSchema() {
  const z = zod();
  return z.object({
    operator: z.string().trim().min(1, 'operator is required').max(100),
    reason: z.string().max(2000).optional(),
  });
}

function resolvePayloadSchema() {
  const z = zod();
  return operatorPayloadSchema().extend({
    rootCause: z.string().max(2000).optional(),
    fix: z.string().max(2000).optional(),
    /** The class it really was, when the diagnosis had none or the wrong one (for the drafted signature). */
    class: z.enum(INCIDENT_CLASSES).optional(),
    /** The approved action that fixed it, if one did: the drafted signature's playbook. */
    action: z.enum(ACTION_NAMES).optional(),
  });
}

export type OperatorPayload = z.infer<ReturnType<typeof operatorPayloadSchema>>;
export type ResolvePayload = z.infer<ReturnType<typeof resolvePayloadSchema>>;

export const HUMAN_SIGNALS = ['pause', 'resume', 'takeOver', 'release', 'approve', 'reject', 'resolve', 'revert'] as const;
export type HumanSignalName = (typeof HUMAN_SIGNALS)[number];

let schemas: Record<HumanSignalName, z.ZodType<OperatorPayload>> | undefined;

/**
 * The schema a signal's payload must match. Built on first use, not when the module loads: every new
 * incident workflow evaluates this module in its first workflow task, on the path to its first action, and
 * most incidents never receive a human signal.
 */
export function humanSignalPayload(signal: HumanSignalName): z.ZodType<OperatorPayload> {
  if (!schemas) {
    const operator = operatorPayloadSchema();
    schemas = { pause: operator, resume: operator, takeOver: operator, release: operator, approve: operator, reject: operator, resolve: resolvePayloadSchema(), revert: operator };
  }
  return schemas[signal];
}
