// Every side effect of an incident, bound to its dependencies. Each activity's name says what it does.
import { collectEvidence } from './collect-evidence';
import { classifyEvidence, type ClassifyRequest } from './classify-evidence';
import { diagnoseWitnessedFailure } from './diagnose-witnessed';
import { restartInstances } from './restart-instances';
import { verifyRecovery } from './verify-recovery';
import { notifyResolved, pageHumans, publishReport, resolvePage } from './report';
import { readGovernor, releaseActionPermit, requestActionLease, requestActionPermit } from './governor';
import { cleanLogs, restoreFiles } from './actions/disk';
import { flushCache, restoreCacheKeys } from './actions/cache';
import { rollbackDeploy, rollForwardDeploy } from './actions/deploy';
import { scaleDown, scaleUp } from './actions/scale';
import { drainTraffic, rebalanceWeights, rerouteTraffic, restoreWeights, undrainTraffic } from './actions/traffic';
import { estimateUserImpactOf, measureTraffic, type ImpactRequest, type TrafficRequest } from './impact';
import { proposeSignatureFromResolution, type ProposalRequest } from './propose-signature';
import { recordInLedger, type LedgerEntryInput } from './ledger';
import type { ActivityDeps } from './deps';
import type { EvidenceRequest, RestartRequest, VerifyRequest } from './types';
import type { PageContext, PageResolveRequest } from '../notify/types';
import type { IncidentReport } from '../signals/incident';
import type { LeaseRequest, PermitRelease, PermitRequest } from '../signals/governor';
import type { ActionRequest, UndoRequest } from '../signals/actions';

export function createActivities(deps: ActivityDeps) {
  return {
    collectEvidence: (req: EvidenceRequest) => collectEvidence(deps, req),
    classifyEvidence: (req: ClassifyRequest) => classifyEvidence(deps, req),
    diagnoseWitnessedFailure: (req: EvidenceRequest) => diagnoseWitnessedFailure(deps, req),
    restartInstances: (req: RestartRequest) => restartInstances(deps, req),
    verifyRecovery: (req: VerifyRequest) => verifyRecovery(deps, req),
    // Notify, not wake: a page only on escalation (resolved when the incident closes), a message when it healed itself.
    pageHumans: (page: PageContext) => pageHumans(deps, page),
    resolvePage: (req: PageResolveRequest) => resolvePage(deps, req),
    notifyResolved: (report: IncidentReport) => notifyResolved(deps, report),
    publishReport: (report: IncidentReport) => publishReport(deps, report),
    recordInLedger: (entry: LedgerEntryInput) => recordInLedger(deps, entry),
    measureTraffic: (req: TrafficRequest) => measureTraffic(deps, req),
    estimateUserImpact: (req: ImpactRequest) => estimateUserImpactOf(deps, req),
    proposeSignature: (req: ProposalRequest) => proposeSignatureFromResolution(deps, req),
    requestActionPermit: (req: PermitRequest) => requestActionPermit(deps, req),
    requestActionLease: (req: LeaseRequest) => requestActionLease(deps, req),
    releaseActionPermit: (req: PermitRelease) => releaseActionPermit(deps, req),
    readGovernor: () => readGovernor(deps),
    // The approved actions beyond restart (activities/actions/), each with the undo it records.
    rollbackDeploy: (req: ActionRequest) => rollbackDeploy(deps, req),
    rollForwardDeploy: (req: UndoRequest) => rollForwardDeploy(deps, req),
    scaleUp: (req: ActionRequest) => scaleUp(deps, req),
    scaleDown: (req: UndoRequest) => scaleDown(deps, req),
    drainTraffic: (req: ActionRequest) => drainTraffic(deps, req),
    undrainTraffic: (req: UndoRequest) => undrainTraffic(deps, req),
    rerouteTraffic: (req: ActionRequest) => rerouteTraffic(deps, req),
    rebalanceWeights: (req: ActionRequest) => rebalanceWeights(deps, req),
    restoreWeights: (req: UndoRequest) => restoreWeights(deps, req),
    flushCache: (req: ActionRequest) => flushCache(deps, req),
    restoreCacheKeys: (req: UndoRequest) => restoreCacheKeys(deps, req),
    cleanLogs: (req: ActionRequest) => cleanLogs(deps, req),
    restoreFiles: (req: UndoRequest) => restoreFiles(deps, req),
  };
}

export type Activities = ReturnType<typeof createActivities>;
