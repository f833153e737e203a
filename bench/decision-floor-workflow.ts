// The Temporal floor of bench:decision: a workflow that does nothing but one activity round trip. What an
// incident's decision costs beyond this is zero-touch's own work (evidence, classification, the governor).
import { proxyActivities } from '@temporalio/workflow';

export interface FloorActivities {
  floorActivity(): Promise<string>;
}

const { floorActivity } = proxyActivities<FloorActivities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 1 } });

export async function floorWorkflow(): Promise<string> {
  return floorActivity();
}
