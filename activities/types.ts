// Inputs and outputs of the activities, shared with the workflow (types only).
import type { Diagnosis, Evidence } from '../policy/types';

export interface EvidenceRequest {
  service: string;
  alerts: Evidence['alerts'];
}

/** What diagnosis found and what it made of it. */
export interface EvidenceAndDiagnosis {
  evidence: Evidence;
  diagnosis: Diagnosis;
}

export interface RestartRequest {
  service: string;
  pmIds: number[];
  /** Same key on a retried activity → the restart is not done twice. */
  idempotencyKey: string;
  /** Zero-downtime reload of a cluster-mode app instead of per-instance restarts. */
  reload: boolean;
}

export type { ActionOutcome } from '../signals/actions';

export interface VerifyRequest {
  service: string;
  pmIds: number[];
}

export interface Verdict {
  healthy: boolean;
  summary: string;
}

export interface PageRequest {
  incidentId: string;
  workflowId: string;
  service: string;
  reason: string;
  details: string[];
}
