// zt_alerts_deduplicated_total on the real ingest path and a real Temporal server (no worker needed: an
// incident that is started and never run is open all the same). An alert that opens an incident is not a
// duplicate; one coalesced into an identical alert on its way is; one that signalWithStart delivered to
// the incident already running is; one that starts a new run after the last one closed is not. Every
// source counts, the sentinel's too (it ingests without HTTP).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { parseConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { Ingest, type IngestOutcome } from '../../ingress/ingest';
import { createIngressMetrics } from '../../ingress/metrics';
import { buildIngressServer } from '../../ingress/server';
import { parsePrometheusText } from '../../probes/prometheus-text';
import { alertSchema } from '../../signals/alert';
import { workflowIdFor } from '../../signals/incident';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

const SERVICE = `dedup-${randomBytes(3).toString('hex')}`;
const AVAILABILITY = workflowIdFor(`${SERVICE}.availability`);
const RESOURCES = workflowIdFor(`${SERVICE}.resources`);

let temporal: TestTemporal;
let config: Config;
let ingest: Ingest;
let app: FastifyInstance;
let baseUrl = '';

before(async () => {
  temporal = await testTemporal();
  config = parseConfig({
    temporal: { taskQueue: uniqueTaskQueue('metrics-ingress') },
    services: [{ name: SERVICE, basePort: 39_000 }],
    // Long enough that the second identical alert lands in the first one's window.
    http: { coalesceMs: 3_000 },
  });
  const logger = pino({ level: 'silent' });
  const registry = new Registry();
  ingest = new Ingest(temporal.client, config, logger, createIngressMetrics(registry));
  app = buildIngressServer({ config, ingest, ready: async () => true, logger, registry });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await app?.close();
  for (const workflowId of [AVAILABILITY, RESOURCES]) {
    for await (const run of temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      await temporal.client.workflow.getHandle(run.workflowId, run.runId).terminate('metrics test done').catch(() => undefined);
    }
  }
  await temporal?.close();
});

async function post(alert: Record<string, unknown>): Promise<IngestOutcome> {
  const response = await fetch(`${baseUrl}/hooks/generic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ service: SERVICE, summary: 'instance 0 down', ...alert }),
  });
  const body = (await response.json()) as { incidents: IngestOutcome[] };
  assert.equal(response.status, 202, JSON.stringify(body));
  return body.incidents[0]!;
}

async function scrape(): Promise<(name: string, labels: Record<string, string>) => number> {
  // Only our series: the default process metrics are not what this parser is for.
  const text = (await (await fetch(`${baseUrl}/metrics`)).text()).split('\n').filter((l) => l.startsWith('zt_')).join('\n');
  const samples = parsePrometheusText(text);
  return (name, labels) => {
    const wanted = Object.entries(labels);
    const s = samples.find((x) => x.name === name && Object.keys(x.labels).length === wanted.length && wanted.every(([k, v]) => x.labels[k] === v));
    return s?.value ?? 0;
  };
}

test('duplicates and joins are counted, new incidents are not', async () => {
  const first = await post({ name: 'InstanceDown', fingerprint: 'fp-a' });
  assert.equal(first.result, 'signalled');
  assert.equal((await scrape())('zt_alerts_deduplicated_total', { source: 'generic' }), 0, 'the alert that opened the incident');

  const again = await post({ name: 'InstanceDown', fingerprint: 'fp-a' });
  assert.equal(again.result, 'coalesced');
  const joined = await post({ name: 'InstanceHealthTimeout', fingerprint: 'fp-b', instance: 1 });
  assert.equal(joined.workflowId, AVAILABILITY, 'same service and group: the same incident');
  assert.equal(joined.result, 'signalled');
  assert.equal(joined.runId, first.runId, 'it joined the open run');

  const other = await post({ name: 'MemoryLeak', fingerprint: 'fp-c' });
  assert.equal(other.workflowId, RESOURCES, 'another group: an incident of its own');

  // The sentinel's alerts go through the same ingest path without HTTP.
  const [sentinel] = await ingest.ingest([
    alertSchema.parse({ source: 'sentinel', service: SERVICE, name: 'InstanceUnhealthy', status: 'firing', startsAt: new Date().toISOString(), fingerprint: 'fp-s' }),
  ]);
  assert.equal(sentinel?.runId, first.runId);

  let read = await scrape();
  assert.equal(read('zt_alerts_received_total', { source: 'generic', status: 'firing' }), 4);
  assert.equal(read('zt_alerts_coalesced_total', { source: 'generic' }), 1);
  assert.equal(read('zt_alerts_deduplicated_total', { source: 'generic' }), 2, 'one coalesced, one joined');
  assert.equal(read('zt_alerts_deduplicated_total', { source: 'sentinel' }), 1);

  // The incident closes (here: terminated); the next alert opens a new run, which is not a duplicate.
  await ingest.flush(); // counted duplicates go out first, or their flush would reopen the incident itself
  await temporal.client.workflow.getHandle(AVAILABILITY).terminate('closed for the test');
  const reopened = await post({ name: 'InstanceHealthTimeout', fingerprint: 'fp-d', instance: 0 });
  assert.equal(reopened.result, 'signalled');
  assert.notEqual(reopened.runId, first.runId, 'a new run');
  await ingest.flush();
  read = await scrape();
  assert.equal(read('zt_alerts_deduplicated_total', { source: 'generic' }), 2, 'unchanged by the new incident');
});
