// undoAfterRecoveryWorkflow: the undos an incident's actions asked to run once the service is healthy
// again — scale back down after the cooldown, undrain a recovered instance, restore weights — run as a
// child workflow the incident abandons when it closes. The incident closes (and a new alert opens a new
// incident) at once, while these wait out their delay durably: a worker restart does not lose them.
import { sleep, workflowInfo } from '@temporalio/workflow';
import type { UndoOutcome, UndoRecipe } from '../signals/actions';
import { afterRecoveryMs, runUndo } from './action-dispatch';

export interface PendingUndo {
  action: string;
  idempotencyKey: string;
  undo: UndoRecipe;
}

export interface UndoAfterRecoveryInput {
  incidentId: string;
  service: string;
  /** Newest action first: undos run in reverse order of the actions. */
  undos: PendingUndo[];
}

export interface UndoAfterRecoveryResult {
  incidentId: string;
  results: Array<{ action: string; kind: UndoRecipe['kind']; outcome: UndoOutcome | null; error: string | null }>;
}

export async function undoAfterRecoveryWorkflow(input: UndoAfterRecoveryInput): Promise<UndoAfterRecoveryResult> {
  const started = workflowInfo().startTime.getTime();
  const results: UndoAfterRecoveryResult['results'] = [];
  for (const pending of input.undos) {
    const due = started + (afterRecoveryMs(pending.undo) ?? 0);
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    try {
      const outcome = await runUndo({ service: input.service, incidentId: input.incidentId, idempotencyKey: `${pending.idempotencyKey}/undo`, undo: pending.undo });
      results.push({ action: pending.action, kind: pending.undo.kind, outcome, error: null });
    } catch (err) {
      // A refused or failed undo is recorded and the rest still run; the result says what is left.
      results.push({ action: pending.action, kind: pending.undo.kind, outcome: null, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { incidentId: input.incidentId, results };
}
