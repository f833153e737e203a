// The action contract: what every approved action takes and returns, and how each records its undo.
// Shared by the incident workflow (which dispatches by action name and runs undos on `revert`), the
// action activities (activities/actions/*) and the CLI. Types only, so the workflow may import it.
//
// Every action: checks its preconditions (refusing with InvalidRequestError, never half-acting), acts at
// most once per idempotency key (a retried or re-run activity returns the first outcome with
// performed=false), stays within `maxOutOfService`, heartbeats while it works, and returns a readable
// summary plus the exact recipe to undo what it did. A re-run answering performed=false still returns the
// undo of what its key did: the workflow counts an outcome with an undo as in effect, so the change a
// worker made before it died is undone like any other.

export interface ActionRequest {
  service: string;
  incidentId: string;
  /** `<incidentId>/attempt-<n>/<action>`: the same key on a retried activity → the action is done once. */
  idempotencyKey: string;
  /** The instances the diagnosis blamed (pm_ids); service-wide actions may ignore them. */
  pmIds: number[];
  /** The governor's blast-radius bound for this service: instances this action may take out at once. */
  maxOutOfService: number;
}

/**
 * How to undo one action, recorded in history with the action. `why` is the sentence a human reads.
 * `afterRecovery` marks undos zero-touch runs by itself once the incident is verified healthy and has
 * stayed so for `afterMs` (scale back down after a cooldown, undrain a recovered instance, restore
 * weights once the primary is back); the others run only on a human's `revert`.
 */
export type UndoRecipe =
  | { kind: 'none'; why: string }
  | { kind: 'roll-forward'; why: string; service: string; fromVersion: string; toVersion: string }
  | { kind: 'scale-down'; why: string; service: string; toInstances: number; afterRecovery?: { afterMs: number } }
  | { kind: 'undrain'; why: string; backend: string; servers: string[]; afterRecovery?: { afterMs: number } }
  | {
      kind: 'restore-weights';
      why: string;
      backend: string;
      /** server → the weight it had before the action. */
      weights: Record<string, number>;
      /** server → the administrative state it had before, for servers whose state the action changed (a parked fallback). */
      states?: Record<string, 'ready' | 'drain' | 'maint'>;
      afterRecovery?: { afterMs: number };
    }
  | { kind: 'restore-cache-keys'; why: string; service: string; snapshotFile: string; keys: number }
  | { kind: 'restore-files'; why: string; service: string; archiveDir: string; files: number };

export type UndoKind = UndoRecipe['kind'];

export interface ActionOutcome {
  /** false when nothing was done: already done for this key, or nothing needed doing (say why in summary). */
  performed: boolean;
  summary: string;
  undo: UndoRecipe;
}

export interface UndoRequest {
  service: string;
  incidentId: string;
  /** `<action idempotency key>/undo`: an undo runs once too. */
  idempotencyKey: string;
  undo: UndoRecipe;
}

export interface UndoOutcome {
  performed: boolean;
  summary: string;
}
