// A test system watched the production way: the real HTTP ingress (bearer token on), a real Prometheus
// scraping both demo instances with the shipped rules, and a real Alertmanager routing to the ingress.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildIngressServer } from '../../ingress/server';
import { createLogger } from '../../observability/logger';
import { startMonitoring, type Monitoring } from './monitoring';
import { startTestSystem, type TestSystem } from './system';

export interface MonitoredSystem {
  sys: TestSystem;
  ingress: FastifyInstance;
  monitoring: Monitoring;
  stop(): Promise<void>;
}

export async function startMonitoredSystem(): Promise<MonitoredSystem> {
  const token = randomBytes(24).toString('hex');
  const sys = await startTestSystem({ config: { http: { webhookToken: token } } });
  const ingress = buildIngressServer({ config: sys.config, ingest: sys.ingest, ready: async () => true, logger: createLogger('test') });
  const ingressUrl = await ingress.listen({ host: '127.0.0.1', port: 0 });
  const monitoring = await startMonitoring({
    service: sys.service,
    targets: [0, 1].map((i) => ({ address: new URL(sys.instanceUrl(i)).host, pm2Instance: i })),
    webhookUrl: `${ingressUrl}/hooks/alertmanager`,
    webhookToken: token,
  });
  return {
    sys,
    ingress,
    monitoring,
    async stop() {
      await monitoring.stop();
      await ingress.close();
      await sys.stop();
    },
  };
}
