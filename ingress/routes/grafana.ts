// POST /hooks/grafana — Grafana unified alerting's webhook contact point (payload version "1"). It
// lives in a scope of its own because, with an HMAC secret configured, its body parser must check the
// signature over the raw bytes before anything is parsed.
import type { FastifyInstance } from 'fastify';
import { acceptAlerts, type AcceptDeps } from '../accept';
import { parseGrafanaWebhook } from '../grafana';
import { verifyGrafanaSignature } from '../grafana-signature';
import { parseJsonBodies } from '../json-body';

export function grafanaRoute(
  deps: AcceptDeps,
  bodyLimit: number,
  hmacSecret: string | undefined,
): (scope: FastifyInstance) => Promise<void> {
  return async (scope) => {
    if (hmacSecret) parseJsonBodies(scope, (request, raw) => verifyGrafanaSignature(hmacSecret, raw, request.headers));
    scope.post('/grafana', { bodyLimit }, async (request, reply) => {
      const { alerts, truncatedAlerts } = parseGrafanaWebhook(request.body);
      if (truncatedAlerts > 0) {
        // The contact point's max alerts cut the group short: the dropped alerts never reach an incident.
        deps.logger.warn({ truncatedAlerts }, 'Grafana truncated this notification; raise "Max alerts" on the contact point');
      }
      return reply.code(202).send(await acceptAlerts(deps, 'grafana', alerts));
    });
  };
}
