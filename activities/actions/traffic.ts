// Not yet implemented: the gate never chooses an action missing from IMPLEMENTED_ACTIONS (policy/actions.ts).
import type { ActionOutcome, ActionRequest, UndoOutcome, UndoRequest } from '../../signals/actions';
import { InvalidRequestError } from '../errors';
import type { ActivityDeps } from '../deps';

export async function drainTraffic(_deps: ActivityDeps, req: ActionRequest): Promise<ActionOutcome> {
  throw new InvalidRequestError(`drainTraffic is not implemented in this build (service ${req.service})`);
}

export async function rerouteTraffic(_deps: ActivityDeps, req: ActionRequest): Promise<ActionOutcome> {
  throw new InvalidRequestError(`rerouteTraffic is not implemented in this build (service ${req.service})`);
}

export async function rebalanceWeights(_deps: ActivityDeps, req: ActionRequest): Promise<ActionOutcome> {
  throw new InvalidRequestError(`rebalanceWeights is not implemented in this build (service ${req.service})`);
}

export async function undrainTraffic(_deps: ActivityDeps, req: UndoRequest): Promise<UndoOutcome> {
  throw new InvalidRequestError(`undrainTraffic is not implemented in this build (service ${req.service})`);
}

export async function restoreWeights(_deps: ActivityDeps, req: UndoRequest): Promise<UndoOutcome> {
  throw new InvalidRequestError(`restoreWeights is not implemented in this build (service ${req.service})`);
}
