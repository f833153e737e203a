// Classification runs as an activity so that the policy in force (the governor's mode, thresholds) and the
// signature catalog (shipped + policy.catalogFiles, loaded once per process) are read at that moment and
// recorded in history with the result; the workflow stays replayable.
import { catalogFor } from '../policy/catalog/load';
import { classify } from '../policy/classify';
import type { AutomationMode, Diagnosis, Evidence } from '../policy/types';
import { readGovernor } from './governor';
import type { ActivityDeps } from './deps';

export async function classifyEvidence(deps: ActivityDeps, evidence: Evidence): Promise<Diagnosis> {
  const { confidenceThreshold, maxFailedAttempts, catalogFiles } = deps.config.policy;
  const mode = await modeInForce(deps);
  return classify(evidence, { mode, confidenceThreshold, maxFailedAttempts }, catalogFor(catalogFiles));
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
