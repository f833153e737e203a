// POST /hooks/alertmanager — Alertmanager's webhook receiver (payload version 4).
import type { FastifyInstance } from 'fastify';
import { acceptAlerts, type AcceptDeps } from '../accept';
import { parseAlertmanagerWebhook } from '../alertmanager';

export function alertmanagerRoute(scope: FastifyInstance, deps: AcceptDeps, bodyLimit: number): void {
  scope.post('/alertmanager', { bodyLimit }, async (request, reply) => {
    const { alerts, truncatedAlerts } = parseAlertmanagerWebhook(request.body);
    if (truncatedAlerts > 0) {
      // The receiver's max_alerts cut the group short: the dropped alerts never reach an incident.
      deps.logger.warn({ truncatedAlerts }, 'Alertmanager truncated this notification; raise max_alerts on the receiver');
    }
    return reply.code(202).send(await acceptAlerts(deps, 'alertmanager', alerts));
  });
}
