// Dedup on the real path: 50 identical Alertmanager deliveries sent at once through the HTTP ingress
// (bearer token on) make exactly one incident that counts all 50 alerts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildIngressServer } from '../../ingress/server';
import { createLogger } from '../../observability/logger';
import { startTestSystem, type TestSystem } from '../helpers/system';
import { awaitStatus } from '../helpers/incidents';

const TOKEN = 'dedup-test-token-0123456789';

describe('dedup through the HTTP ingress', () => {
  let sys: TestSystem;
  let app: FastifyInstance;
  let url: string;

  before(async () => {
    // A long verification window keeps the incident open while the 50 deliveries land.
    sys = await startTestSystem({ config: { http: { webhookToken: TOKEN }, policy: { verification: { windowMs: 15_000 } } } });
    app = buildIngressServer({ config: sys.config, ingest: sys.ingest, ready: async () => true, logger: createLogger('test') });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/hooks/alertmanager`;
  });
  after(async () => {
    await app?.close();
    await sys?.stop();
  });

  test('50 identical alerts sent at once make one incident', async () => {
    const startsAt = new Date().toISOString();
    const body = JSON.stringify({
      version: '4',
      groupKey: '{}:{alertname="InstanceUnhealthy"}',
      status: 'firing',
      receiver: 'zero-touch',
      groupLabels: { alertname: 'InstanceUnhealthy' },
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager.local',
      truncatedAlerts: 0,
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'InstanceUnhealthy', service: sys.service, pm2_instance: '0', severity: 'warning' },
          annotations: { summary: 'health check failing on instance 0' },
          startsAt,
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://prometheus.local/graph',
          fingerprint: 'dedup-fingerprint-1',
        },
      ],
    });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body }),
      ),
    );
    const answers = await Promise.all(responses.map((r) => r.json() as Promise<any>));
    assert.deepEqual([...new Set(responses.map((r) => r.status))], [202]);
    const runIds = new Set(answers.map((a) => a.incidents[0].runId));
    assert.equal(runIds.size, 1, `one run for all deliveries, got ${[...runIds].join(', ')}`);

    const workflowId = sys.workflowId();
    const handle = sys.temporal.client.workflow.getHandle(workflowId, [...runIds][0]);
    const s = await awaitStatus(handle, '50 alerts counted', (st) => st.alerts.received === 50, 20_000);
    assert.equal(s.alerts.firing, 1, 'one distinct alert');

    let runs = 0;
    for await (const _ of sys.temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs++;
    assert.equal(runs, 1, 'exactly one incident workflow exists');
    await handle.terminate('test done');
  });
});
