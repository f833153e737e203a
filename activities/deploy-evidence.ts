// Diagnosis evidence from the deploy registry: the release that runs and when it was put there, so the
// catalog can tell a crash loop right after a deploy (roll it back) from one in a release that ran fine.
import type { ServiceConfig } from '../config/schema';
import { serviceDeploys } from '../deploys/service';
import type { DeployEvidence } from '../policy/types';

/** How long after a deploy a crash counts as "after a deploy" when the deploy detector sets no window. */
export const DEFAULT_RECENT_DEPLOY_MS = 600_000;

/** Undefined when the service is not deployed through releases, nothing is recorded, or the registry is unreadable. */
export async function deployEvidence(service: ServiceConfig): Promise<DeployEvidence | undefined> {
  const deploys = serviceDeploys(service);
  if (!deploys) return undefined;
  // An unreadable registry is no evidence, never a failed diagnosis: the facts then say "no deploy recorded".
  const last = await deploys.registry.lastDeploy(service.name).catch(() => null);
  if (!last) return undefined;
  const window = service.detectors.deploy?.windowMs ?? DEFAULT_RECENT_DEPLOY_MS;
  return {
    version: last.version,
    at: last.at,
    by: last.by,
    kind: last.kind ?? 'deploy',
    recentWithinMs: Math.min(window, deploys.settings.maxDeployAgeMs),
  };
}
