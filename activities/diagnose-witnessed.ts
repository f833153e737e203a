// The incident's first look at a failure the sentinel witnessed, asked beside the governor's lease: the
// evidence and its classification in one local activity, so the decision makes one hand-over between the
// workflow and its activities fewer on the way to the first action (bench:decision).
import { classifyEvidence } from './classify-evidence';
import { collectEvidence } from './collect-evidence';
import type { ActivityDeps } from './deps';
import type { EvidenceAndDiagnosis, EvidenceRequest } from './types';

/** The diagnosis is made in mode auto, the mode a granted lease proves: the workflow uses it only when the lease was granted. */
export async function diagnoseWitnessedFailure(deps: ActivityDeps, req: EvidenceRequest): Promise<EvidenceAndDiagnosis> {
  const evidence = await collectEvidence(deps, req);
  return { evidence, diagnosis: await classifyEvidence(deps, { ...evidence, governorMode: 'auto' }) };
}
