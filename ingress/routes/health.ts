// Liveness and readiness. /healthz says the process answers; /readyz says it can do its job, i.e.
// Temporal is reachable — a load balancer should stop sending webhooks when it is not.
import type { FastifyInstance } from 'fastify';

/** A readiness check that hangs must still yield an answer before the prober gives up. */
const READY_TIMEOUT_MS = 2_000;

async function checkReady(ready: () => Promise<boolean>): Promise<{ ok: true } | { ok: false; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const error = new Error(`readiness check did not answer within ${READY_TIMEOUT_MS} ms`);
    timer = setTimeout(() => reject(error), READY_TIMEOUT_MS);
  });
  try {
    const ok = await Promise.race([ready(), timeout]);
    return ok ? { ok: true } : { ok: false, reason: 'Temporal is not reachable' };
  } catch (err) {
    return { ok: false, reason: `readiness check failed: ${(err as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(app: FastifyInstance, ready: () => Promise<boolean>): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const result = await checkReady(ready);
    if (result.ok) return { status: 'ready' };
    return reply.code(503).send({ status: 'not_ready', reason: result.reason });
  });
}
