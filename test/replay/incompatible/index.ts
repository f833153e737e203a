// A deliberately incompatible incidentWorkflow for the negative replay test: it classifies before it
// collects evidence. Replaying a recorded history against it must fail with a determinism error,
// proving the replay suite catches an unversioned change to the step order.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../../activities';
import type { IncidentInput } from '../../../signals/incident';

const acts = proxyActivities<Activities>({ startToCloseTimeout: '30s' });

export async function incidentWorkflow(input: IncidentInput): Promise<void> {
  await acts.classifyEvidence({
    service: input.service,
    collectedAt: new Date().toISOString(),
    expectedInstances: 0,
    serviceTags: [],
    instances: [],
    alerts: { names: [], firing: [], count: 0, risk: [], instances: [] },
  });
}
