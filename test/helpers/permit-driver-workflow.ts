// A stand-in for the incident workflow in the governor's integration test: it reaches the governor the
// way an incident does, through the permit activities run by a real Worker (so the activities use the
// Worker's own client), one call per run.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { PermitRelease, PermitRequest } from '../../signals/governor';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', maximumAttempts: 3, nonRetryableErrorTypes: ['InvalidRequestError', 'UnknownServiceError'] },
});

export type DriverCall = { kind: 'request'; req: PermitRequest } | { kind: 'release'; release: PermitRelease } | { kind: 'read' };

export async function permitDriver(call: DriverCall): Promise<unknown> {
  switch (call.kind) {
    case 'request':
      return acts.requestActionPermit(call.req);
    case 'release':
      return acts.releaseActionPermit(call.release);
    case 'read':
      return acts.readGovernor();
  }
}
