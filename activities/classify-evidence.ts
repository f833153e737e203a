// Classification runs as an activity so that the policy in force (mode, thresholds) is read from
// config at that moment and recorded in history with the result; the workflow stays replayable.
import { classify } from '../policy/classify';
import type { Diagnosis, Evidence } from '../policy/types';
import type { ActivityDeps } from './deps';

export async function classifyEvidence({ config }: ActivityDeps, evidence: Evidence): Promise<Diagnosis> {
  const { mode, confidenceThreshold, maxFailedAttempts } = config.policy;
  return classify(evidence, { mode, confidenceThreshold, maxFailedAttempts });
}
