// Classification runs as an activity so that the policy in force (mode, thresholds) and the signature
// catalog (shipped + policy.catalogFiles, loaded once per process) are read at that moment and recorded
// in history with the result; the workflow stays replayable.
import { catalogFor } from '../policy/catalog/load';
import { classify } from '../policy/classify';
import type { Diagnosis, Evidence } from '../policy/types';
import type { ActivityDeps } from './deps';

export async function classifyEvidence({ config }: ActivityDeps, evidence: Evidence): Promise<Diagnosis> {
  const { mode, confidenceThreshold, maxFailedAttempts, catalogFiles } = config.policy;
  return classify(evidence, { mode, confidenceThreshold, maxFailedAttempts }, catalogFor(catalogFiles));
}
