// The action vocabulary: what a playbook step may name. Pure data, imported by the workflow's gate, the
// signature catalog's schema and the actions themselves, so all three agree on one list.
//
// Automatic actions are the approved zero-touch actions of the specification (restart, rollback, scale
// up, drain, cache flush); each is bounded and reversible. Excluded actions are the kinds the
// specification never lets a machine run (schema changes, data deletion, security policy, credentials,
// customer-visible config): a playbook may name them so the plan is written down, but such a step
// always waits for a human's `approve` and says why.

export const AUTOMATIC_ACTIONS = [
  'pm2-restart',
  'pm2-reload',
  'rollback-deploy',
  'scale-up',
  'drain-traffic',
  'reroute-traffic',
  'rebalance-weights',
  'flush-cache',
  'clean-logs',
] as const;
export const EXCLUDED_ACTIONS = [
  'schema-change',
  'data-deletion',
  'security-policy-change',
  'credential-rotation',
  'customer-config-change',
] as const;
export const ACTION_NAMES = [...AUTOMATIC_ACTIONS, ...EXCLUDED_ACTIONS] as const;

export type AutomaticAction = (typeof AUTOMATIC_ACTIONS)[number];
export type ExcludedAction = (typeof EXCLUDED_ACTIONS)[number];
export type ActionName = AutomaticAction | ExcludedAction;

/**
 * Automatic actions this build can carry out: all of them, because an action joins AUTOMATIC_ACTIONS only
 * with its activity (workflows/action-dispatch.ts switches over every name, so the compiler holds to it).
 * The gate still checks, so a name added without an activity is handed to a human rather than pretended.
 */
export const IMPLEMENTED_ACTIONS: ReadonlySet<ActionName> = new Set<ActionName>(AUTOMATIC_ACTIONS);

export function isExcludedAction(action: ActionName): action is ExcludedAction {
  return (EXCLUDED_ACTIONS as readonly string[]).includes(action);
}

/** Why an excluded step may not run by itself, in the words a human reads. */
export const EXCLUSION_REASONS: Record<ExcludedAction, string> = {
  'schema-change': 'database schema changes are excluded from zero-touch',
  'data-deletion': 'data deletion is excluded from zero-touch',
  'security-policy-change': 'security policy changes are excluded from zero-touch',
  'credential-rotation': 'credential rotation is excluded from zero-touch',
  'customer-config-change': 'customer-visible configuration changes are excluded from zero-touch',
};
