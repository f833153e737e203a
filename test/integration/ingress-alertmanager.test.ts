// The Alertmanager webhook over real HTTP into a real Temporal server through the real Ingest: a
// firing alert starts `incident-<key>`, a repeat joins the same run, and a refused request starts
// nothing. No Worker runs — signalWithStart alone decides whether an incident exists.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../../config/load';
import type { AcceptedAlerts } from '../../ingress/accept';
import type { ErrorBody } from '../../ingress/errors';
import { Ingest } from '../../ingress/ingest';
import { buildIngressServer } from '../../ingress/server';
import { workflowIdFor } from '../../signals/incident';
import { IncidentService } from '../../signals/search-attributes';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

const TOKEN = randomBytes(24).toString('hex');
// A service name of this file's own, so incidents never collide with other tests on a shared server.
const SERVICE = `ingress-it-${randomBytes(4).toString('hex')}`;

let temporal: TestTemporal;
let app: FastifyInstance;
let baseUrl = '';
const started = new Set<string>();

before(async () => {
  temporal = await testTemporal();
  const config = parseConfig({
    temporal: { taskQueue: uniqueTaskQueue('ingress-it') },
    services: [{ name: SERVICE, basePort: 3900 }],
    http: { webhookToken: TOKEN },
  });
  app = buildIngressServer({
    config,
    ingest: new Ingest(temporal.client, config),
    ready: async () => true,
    logger: pino({ level: 'silent' }),
  });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await app?.close();
  for (const workflowId of started) {
    await temporal.client.workflow.getHandle(workflowId).terminate('ingress integration test cleanup').catch(() => undefined);
  }
  await temporal?.close();
});

function webhook(alerts: unknown[], token = TOKEN) {
  return fetch(`${baseUrl}/hooks/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ version: '4', groupKey: '{}', status: 'firing', receiver: 'zt', alerts }),
  });
}

async function accepted(response: Response): Promise<AcceptedAlerts> {
  assert.equal(response.status, 202, await response.clone().text());
  return (await response.json()) as AcceptedAlerts;
}

function amAlert(alertname: string, service: string, status = 'firing') {
  return {
    status,
    labels: { alertname, service, pm2_instance: '0' },
    annotations: { summary: `${service} ${alertname}` },
    startsAt: new Date().toISOString(),
  };
}

test('a firing alert starts the incident; the same alert again joins the same run', async () => {
  const body = await accepted(await webhook([amAlert('InstanceDown', SERVICE)]));
  const workflowId = workflowIdFor(`${SERVICE}.availability`);
  started.add(workflowId);
  assert.equal(body.accepted, 1);
  assert.equal(body.incidents[0]?.workflowId, workflowId);
  assert.equal(body.incidents[0]?.result, 'signalled');
  assert.ok(body.incidents[0]?.runId);

  const again = await accepted(await webhook([amAlert('InstanceDown', SERVICE)]));
  assert.equal(again.incidents[0]?.runId, body.incidents[0]?.runId);

  const described = await temporal.client.workflow.getHandle(workflowId).describe();
  assert.equal(described.status.name, 'RUNNING');
  assert.equal(described.typedSearchAttributes.get(IncidentService), SERVICE);
});

test('a resolved alert with no open incident starts nothing', async () => {
  const body = await accepted(await webhook([amAlert('HighMemory', SERVICE, 'resolved')]));
  assert.equal(body.incidents[0]?.result, 'no-open-incident');
  await assert.rejects(
    temporal.client.workflow.getHandle(workflowIdFor(`${SERVICE}.resources`)).describe(),
    WorkflowNotFoundError,
  );
});

test('a request with one unknown service is refused whole: no incident starts for the valid alert', async () => {
  const response = await webhook([amAlert('UpstreamDown', SERVICE), amAlert('UpstreamDown', 'not-configured')]);
  assert.equal(response.status, 400);
  assert.equal(((await response.json()) as ErrorBody).error, 'unknown_service');
  await assert.rejects(
    temporal.client.workflow.getHandle(workflowIdFor(`${SERVICE}.network`)).describe(),
    WorkflowNotFoundError,
  );
});

test('a wrong token starts nothing', async () => {
  const response = await webhook([amAlert('DiskFull', SERVICE)], 'wrong-token');
  assert.equal(response.status, 401);
  await assert.rejects(
    temporal.client.workflow.getHandle(workflowIdFor(`${SERVICE}.resources`)).describe(),
    WorkflowNotFoundError,
  );
});
