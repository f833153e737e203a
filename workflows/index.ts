// The workflow bundle's entry point: only workflow functions are exported from here.
import type { GovernorInput } from '../signals/governor';

export { incidentWorkflow } from './incident';
export { undoAfterRecoveryWorkflow } from './undo-after-recovery';
export { reportDeliveryWorkflow } from './report-delivery';

/**
 * The governor's modules (its state machine, its message schemas, its config schema) are evaluated only in
 * a governor's own workflow: the reusable V8 context evaluates a bundle's modules again for every new
 * workflow, and every incident would otherwise pay for them in its first workflow task, on the decision's path.
 */
export async function governorWorkflow(input: GovernorInput): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred evaluation, see above
  const { governorWorkflow: govern } = require('./governor') as typeof import('./governor');
  return govern(input);
}
