// Not yet implemented: the gate never chooses an action missing from IMPLEMENTED_ACTIONS (policy/actions.ts).
import type { ActionOutcome, ActionRequest, UndoOutcome, UndoRequest } from '../../signals/actions';
import { InvalidRequestError } from '../errors';
import type { ActivityDeps } from '../deps';

export async function rollbackDeploy(_deps: ActivityDeps, req: ActionRequest): Promise<ActionOutcome> {
  throw new InvalidRequestError(`rollbackDeploy is not implemented in this build (service ${req.service})`);
}

export async function rollForwardDeploy(_deps: ActivityDeps, req: UndoRequest): Promise<UndoOutcome> {
  throw new InvalidRequestError(`rollForwardDeploy is not implemented in this build (service ${req.service})`);
}
