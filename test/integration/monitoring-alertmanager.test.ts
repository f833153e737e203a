// A real Alertmanager in front of the real ingress: an alert added with `amtool alert add`, exactly as an
// operator would, is routed to /hooks/alertmanager with the bearer token and opens the incident.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildIngressServer } from '../../ingress/server';
import { createLogger } from '../../observability/logger';
import { IncidentService } from '../../signals/search-attributes';
import { awaitIncidentRun, awaitStatus } from '../helpers/incidents';
import { startMonitoring, type Monitoring } from '../helpers/monitoring';
import { startTestSystem, type TestSystem } from '../helpers/system';

const TOKEN = randomBytes(24).toString('hex');

let sys: TestSystem;
let ingress: FastifyInstance;
let monitoring: Monitoring;

before(async () => {
  sys = await startTestSystem({ config: { http: { webhookToken: TOKEN } } });
  ingress = buildIngressServer({ config: sys.config, ingest: sys.ingest, ready: async () => true, logger: createLogger('test') });
  const ingressUrl = await ingress.listen({ host: '127.0.0.1', port: 0 });
  monitoring = await startMonitoring({
    service: sys.service,
    targets: [0, 1].map((i) => ({ address: new URL(sys.instanceUrl(i)).host, pm2Instance: i })),
    webhookUrl: `${ingressUrl}/hooks/alertmanager`,
    webhookToken: TOKEN,
  });
});

after(async () => {
  await monitoring?.stop();
  await ingress?.close();
  await sys?.stop();
});

test('an alert added with amtool reaches the ingress through Alertmanager and opens an incident', async () => {
  const workflowId = sys.workflowId('availability');
  await monitoring.amtool([
    'alert',
    'add',
    'alertname=InstanceUnhealthy',
    `service=${sys.service}`,
    'pm2_instance=0',
    '--annotation=summary=health check failing (amtool)',
  ]);

  const handle = await awaitIncidentRun(sys.temporal.client, workflowId, undefined, 20_000);
  const described = await handle.describe();
  assert.equal(described.typedSearchAttributes.get(IncidentService), sys.service);
  const status = await awaitStatus(handle, 'the amtool alert recorded in the incident', (s) => s.alerts.received >= 1, 10_000);
  assert.equal(status.service, sys.service);
  assert.equal(status.key, `${sys.service}.availability`);
  assert.equal(status.alerts.lastName, 'InstanceUnhealthy');
});
