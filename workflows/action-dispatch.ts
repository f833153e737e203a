// Which activity carries out each approved action, and which one undoes each recipe. Deterministic: a
// table from names to activities, nothing else. Every action and undo gets a readable summary for the
// Web UI and runs with the same retry and heartbeat rules: transient errors are retried, refusals
// (InvalidRequestError) and unknown services are not.
import { proxyActivities } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type { Activities } from '../activities';
import type { AutomaticAction } from '../policy/actions';
import type { ActionOutcome, ActionRequest, UndoOutcome, UndoRecipe, UndoRequest } from '../signals/actions';

const transient: RetryPolicy = { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 3 };
const terminal = ['UnknownServiceError', 'InvalidRequestError'];

// Heartbeats let a dead worker's action be retried elsewhere in seconds; idempotency keys make that safe.
// Long enough for the slowest bounded action (a scale-up waits up to 5 min for new instances to be ready).
const change = proxyActivities<Activities>({
  startToCloseTimeout: '6m',
  heartbeatTimeout: '10s',
  retry: { ...transient, nonRetryableErrorTypes: terminal },
});

/** Runs one automatic action (never pm2-restart/pm2-reload: those keep their own call for old histories). */
export function runAction(action: Exclude<AutomaticAction, 'pm2-restart' | 'pm2-reload'>, req: ActionRequest, summary: string): Promise<ActionOutcome> {
  const options = { summary };
  switch (action) {
    case 'rollback-deploy':
      return change.rollbackDeploy.executeWithOptions(options, [req]);
    case 'scale-up':
      return change.scaleUp.executeWithOptions(options, [req]);
    case 'drain-traffic':
      return change.drainTraffic.executeWithOptions(options, [req]);
    case 'reroute-traffic':
      return change.rerouteTraffic.executeWithOptions(options, [req]);
    case 'rebalance-weights':
      return change.rebalanceWeights.executeWithOptions(options, [req]);
    case 'flush-cache':
      return change.flushCache.executeWithOptions(options, [req]);
    case 'clean-logs':
      return change.cleanLogs.executeWithOptions(options, [req]);
  }
}

/** Runs the undo a recipe describes; `none` has nothing to run and is answered without an activity. */
export async function runUndo(req: UndoRequest): Promise<UndoOutcome> {
  const undo: UndoRecipe = req.undo;
  const options = { summary: `Undo for ${req.service} (${undo.kind}): ${undo.why}` };
  switch (undo.kind) {
    case 'none':
      return { performed: false, summary: undo.why };
    case 'roll-forward':
      return change.rollForwardDeploy.executeWithOptions(options, [req]);
    case 'scale-down':
      return change.scaleDown.executeWithOptions(options, [req]);
    case 'undrain':
      return change.undrainTraffic.executeWithOptions(options, [req]);
    case 'restore-weights':
      return change.restoreWeights.executeWithOptions(options, [req]);
    case 'restore-cache-keys':
      return change.restoreCacheKeys.executeWithOptions(options, [req]);
    case 'restore-files':
      return change.restoreFiles.executeWithOptions(options, [req]);
  }
}

/** The undos zero-touch runs by itself once the incident is verified healthy (scale down, undrain…). */
export function afterRecoveryMs(undo: UndoRecipe): number | null {
  return 'afterRecovery' in undo && undo.afterRecovery ? undo.afterRecovery.afterMs : null;
}
