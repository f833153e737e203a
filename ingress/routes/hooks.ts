// The /hooks scope: every alert webhook lives here and shares its authentication and JSON-only body
// handling. Fastify encapsulation keeps both away from /healthz, /readyz and /metrics.
import type { FastifyInstance } from 'fastify';
import { requireBearerToken } from '../auth';
import type { AcceptDeps } from '../accept';
import { acceptJsonBodiesOnly } from '../json-body';
import { alertmanagerRoute } from './alertmanager';
import { genericRoute } from './generic';
import { grafanaRoute } from './grafana';

export interface HookOptions {
  deps: AcceptDeps;
  webhookToken: string | undefined;
  bodyLimit: number;
  /** When set, /hooks/grafana requires a valid X-Grafana-Alerting-Signature. */
  grafanaHmacSecret: string | undefined;
}

export function hookRoutes(options: HookOptions): (scope: FastifyInstance) => Promise<void> {
  return async (scope) => {
    // Authentication first: an unauthenticated sender learns nothing about what the body should be.
    if (options.webhookToken) scope.addHook('onRequest', requireBearerToken(options.webhookToken));
    acceptJsonBodiesOnly(scope);
    alertmanagerRoute(scope, options.deps, options.bodyLimit);
    genericRoute(scope, options.deps, options.bodyLimit);
    await scope.register(grafanaRoute(options.deps, options.bodyLimit, options.grafanaHmacSecret));
  };
}

/** The webhook source a request was for (`/hooks/alertmanager` → `alertmanager`), for metric labels. */
export function hookSourceOf(routeUrl: string | undefined): string | undefined {
  return /^\/hooks\/([\w-]+)$/.exec(routeUrl ?? '')?.[1];
}
