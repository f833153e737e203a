// The real HTTP ingress in front of a test system, and the Alertmanager webhook a test fires at it.
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildIngressServer } from '../../ingress/server';
import type { TestSystem } from './system';

export interface TestIngress {
  app: FastifyInstance;
  url: string;
}

export async function startIngress(sys: TestSystem): Promise<TestIngress> {
  const app = buildIngressServer({ config: sys.config, ingest: sys.ingest, ready: async () => true, logger: pino({ level: 'silent' }) });
  return { app, url: await app.listen({ host: '127.0.0.1', port: 0 }) };
}

/** One firing InstanceHealthTimeout for instance 0 of `service`, with extra labels (e.g. `risk`). */
export function postHealthTimeout(ingress: TestIngress, token: string, service: string, labels: Record<string, string> = {}): Promise<Response> {
  return fetch(`${ingress.url}/hooks/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      version: '4',
      status: 'firing',
      receiver: 'zt',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'InstanceHealthTimeout', service, pm2_instance: '0', ...labels },
          annotations: { summary: 'health check timed out' },
          startsAt: new Date().toISOString(),
          fingerprint: randomBytes(6).toString('hex'),
        },
      ],
    }),
  });
}

/** PM2's restart count of one instance: proof that nothing was restarted. */
export async function restartsOf(sys: TestSystem, instance: number): Promise<number> {
  const p = (await sys.pm2.listApp(sys.service)).find((x) => x.instance === instance);
  assert.ok(p, `instance ${instance} is in PM2`);
  return p.restarts;
}
