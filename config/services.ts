// The services automation may act on. With none configured, the demo target is the one service,
// so `npm start` on a fresh machine watches something a new user can break.
import { serviceSchema, type Config, type ServiceConfig } from './schema';

export const DEMO_SERVICE_NAME = 'localize-api';

export class UnknownServiceError extends Error {
  override name = 'UnknownServiceError';
}

export function usesDemo(config: Config): boolean {
  return config.services.length === 0;
}

export function effectiveServices(config: Config): ServiceConfig[] {
  if (!usesDemo(config)) return config.services;
  return [
    {
      name: DEMO_SERVICE_NAME,
      healthUrl: 'http://127.0.0.1:{port}/healthz',
      basePort: config.demo.basePort,
      instances: config.demo.instances,
      tags: [],
      detectors: serviceSchema.shape.detectors.parse(undefined),
      actions: serviceSchema.shape.actions.parse(undefined),
      impact: serviceSchema.shape.impact.parse(undefined),
    },
  ];
}

export function findService(config: Config, name: string): ServiceConfig {
  const service = effectiveServices(config).find((s) => s.name === name);
  if (!service) {
    const known = effectiveServices(config).map((s) => s.name).join(', ');
    throw new UnknownServiceError(`unknown service "${name}" (configured: ${known || 'none'})`);
  }
  return service;
}

/** Each PM2 instance listens on basePort + NODE_APP_INSTANCE. */
export function instanceHealthUrl(service: ServiceConfig, instance: number): string {
  return service.healthUrl.replace('{port}', String(service.basePort + instance));
}
