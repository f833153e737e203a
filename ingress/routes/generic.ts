// POST /hooks/generic — the documented JSON schema for every other alert source (docs/alerts.md).
import type { FastifyInstance } from 'fastify';
import { acceptAlerts, type AcceptDeps } from '../accept';
import { parseGenericWebhook } from '../generic';

export function genericRoute(scope: FastifyInstance, deps: AcceptDeps, bodyLimit: number): void {
  scope.post('/generic', { bodyLimit }, async (request, reply) => {
    return reply.code(202).send(await acceptAlerts(deps, 'generic', parseGenericWebhook(request.body)));
  });
}
