// A configured service's deploy settings, resolved the same way by `zt deploy` and the rollback action:
// the app directory of its release layout and the registry both read and write.
import { statePath } from '../config/paths';
import type { ServiceConfig } from '../config/schema';
import type { DeployActionConfig } from '../config/actions/deploy';
import { DeployRegistry } from './registry';

export const DEFAULT_REGISTRY_PATH = '.zt/deploys.jsonl';

export interface ServiceDeploys {
  service: string;
  /** Absolute. */
  appDir: string;
  registry: DeployRegistry;
  settings: DeployActionConfig;
}

/** Null when the service has no `actions.deploy` section: it is not deployed through releases. */
export function serviceDeploys(service: ServiceConfig): ServiceDeploys | null {
  const settings = service.actions.deploy;
  if (!settings) return null;
  // The detector and the action must read one file, or a rollback would not end the bad-deploy alert.
  const registryPath = settings.registryPath ?? service.detectors.deploy?.registryPath ?? DEFAULT_REGISTRY_PATH;
  return { service: service.name, appDir: statePath(settings.appDir), registry: new DeployRegistry(statePath(registryPath)), settings };
}
