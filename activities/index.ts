// Every side effect of an incident, bound to its dependencies. Each activity's name says what it does.
import { collectEvidence } from './collect-evidence';
import { classifyEvidence } from './classify-evidence';
import { restartInstances } from './restart-instances';
import { verifyRecovery } from './verify-recovery';
import { pageHumans, publishReport } from './report';
import { readGovernor, releaseActionPermit, requestActionPermit } from './governor';
import type { ActivityDeps } from './deps';
import type { EvidenceRequest, PageRequest, RestartRequest, VerifyRequest } from './types';
import type { Evidence } from '../policy/types';
import type { IncidentReport } from '../signals/incident';
import type { PermitRelease, PermitRequest } from '../signals/governor';

export function createActivities(deps: ActivityDeps) {
  return {
    collectEvidence: (req: EvidenceRequest) => collectEvidence(deps, req),
    classifyEvidence: (evidence: Evidence) => classifyEvidence(deps, evidence),
    restartInstances: (req: RestartRequest) => restartInstances(deps, req),
    verifyRecovery: (req: VerifyRequest) => verifyRecovery(deps, req),
    pageHumans: (page: PageRequest) => pageHumans(deps, page),
    publishReport: (report: IncidentReport) => publishReport(deps, report),
    requestActionPermit: (req: PermitRequest) => requestActionPermit(deps, req),
    releaseActionPermit: (req: PermitRelease) => releaseActionPermit(deps, req),
    readGovernor: () => readGovernor(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
