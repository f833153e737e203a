// The workflow bundle's entry point: only workflow functions are exported from here.
export { incidentWorkflow } from './incident';
export { governorWorkflow } from './governor';
export { undoAfterRecoveryWorkflow } from './undo-after-recovery';
export { reportDeliveryWorkflow } from './report-delivery';
