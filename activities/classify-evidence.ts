// Classification runs as an activity so that the policy in force (the governor's mode, thresholds) and the
// signature catalog (shipped + policy.catalogFiles, loaded once per process) are read at that moment and
// recorded in history with the result; the workflow stays replayable.
import { catalogFor } from '../policy/catalog/load';
import { classify } from '../policy/classify';
import { configuredPlaybook } from '../policy/configured-actions';
import { findService } from '../config/services';
import type { AutomationMode, Diagnosis, Evidence } from '../policy/types';
import { readGovernor } from './governor';
import { certificates, uncertifiedReason } from '../ledger/certification';
import type { ActivityDeps } from './deps';

/**
 * The evidence, and the governor's mode when the incident already knows it: a lease granted while the
 * evidence was collected says the mode was auto (the governor grants nothing otherwise), so it is not read again.
 */
export type ClassifyRequest = Evidence & { governorMode?: AutomationMode };

export async function classifyEvidence(deps: ActivityDeps, { governorMode, ...evidence }: ClassifyRequest): Promise<Diagnosis> {
  const { confidenceThreshold, maxFailedAttempts, catalogFiles } = deps.config.policy;
  const mode = governorMode ?? (await modeInForce(deps));
  // A step the service has no config section for would only be refused: out of the playbook, said in the reasons.
  const diagnosis = configuredPlaybook(
    classify(evidence, { mode, confidenceThreshold, maxFailedAttempts }, catalogFor(catalogFiles)),
    findService(deps.config, evidence.service),
  );
  const uncertified = await certificationGap(deps, diagnosis);
  if (!uncertified) return diagnosis;
  return { ...diagnosis, policy: { ...diagnosis.policy, uncertified }, reasons: [...diagnosis.reasons, `Only observed: ${uncertified}.`] };
}

/**
 * With policy.certification.enforce, a class whose drill has not passed recently is only observed. The
 * ledger decides; if it cannot be read the activity fails and is retried: acting on an uncertified class
 * because the database was down would defeat the rule.
 */
async function certificationGap(deps: ActivityDeps, diagnosis: Diagnosis): Promise<string | null> {
  const { enforce, maxAgeDays } = deps.config.policy.certification;
  if (!enforce || diagnosis.class === null || diagnosis.healthy) return null;
  if (!deps.ledger) throw new Error('policy.certification.enforce needs the audit ledger, and this worker has none');
  const certs = await certificates(deps.ledger, maxAgeDays * 86_400_000, new Date());
  return uncertifiedReason(certs.find((c) => c.class === diagnosis.class), maxAgeDays);
}

/**
 * The governor's mode (`zt mode`), which config `policy.mode` only seeds. If the governor cannot be read,
 * the config's mode stands in: the governor is asked again, and decides, before any action runs.
 */
async function modeInForce(deps: ActivityDeps): Promise<AutomationMode> {
  try {
    return (await readGovernor(deps)).mode.mode;
  } catch (err) {
    deps.logger.warn({ err }, 'could not read the governor; classifying with the configured mode');
    return deps.config.policy.mode;
  }
}
