// Not yet implemented: the gate never chooses an action missing from IMPLEMENTED_ACTIONS (policy/actions.ts).
import type { ActionOutcome, ActionRequest, UndoOutcome, UndoRequest } from '../../signals/actions';
import { InvalidRequestError } from '../errors';
import type { ActivityDeps } from '../deps';

export async function flushCache(_deps: ActivityDeps, req: ActionRequest): Promise<ActionOutcome> {
  throw new InvalidRequestError(`flushCache is not implemented in this build (service ${req.service})`);
}

export async function restoreCacheKeys(_deps: ActivityDeps, req: UndoRequest): Promise<UndoOutcome> {
  throw new InvalidRequestError(`restoreCacheKeys is not implemented in this build (service ${req.service})`);
}
