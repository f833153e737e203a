// Storm handling on the real path: 5,000 identical Alertmanager deliveries for one service, mixed
// with alerts for three other services, sent concurrently through the HTTP ingress into a real
// Temporal server and Worker. Each key gets exactly one incident, each incident's `alerts.received`
// (the status query) equals the deliveries sent for it, and no request gets a 5xx.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { parseConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { Ingest } from '../../ingress/ingest';
import { buildIngressServer } from '../../ingress/server';
import { Pm2Client } from '../../pm2/client';
import { statusQuery } from '../../signals/contract';
import { workflowIdFor } from '../../signals/incident';
import { createIncidentWorker, type IncidentWorker } from '../../workers/incident-worker';
import { alertmanagerBody } from '../helpers/alertmanager-body';
import { freePortRange, workflowBundle } from '../helpers/system';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

const STORM = 5_000;
const OTHERS_EACH = 40;
const CONCURRENCY = 64;
const suffix = randomBytes(3).toString('hex');
const STORM_SERVICE = `storm-${suffix}`;
const OTHER_SERVICES = [1, 2, 3].map((n) => `calm${n}-${suffix}`);

let temporal: TestTemporal;
let config: Config;
let pm2: Pm2Client;
let worker: IncidentWorker;
let running: Promise<void>;
let ingest: Ingest;
let app: FastifyInstance;
let baseUrl = '';
let dir = '';

before(async () => {
  temporal = await testTemporal();
  dir = await mkdtemp(path.join(os.tmpdir(), 'zt-storm-'));
  const basePort = await freePortRange(4);
  config = parseConfig({
    temporal: { taskQueue: uniqueTaskQueue('storm') },
    pm2: { home: path.join(dir, 'pm2') },
    services: [STORM_SERVICE, ...OTHER_SERVICES].map((name, i) => ({ name, basePort: basePort + i })),
    // Observe mode and a long verification window keep every incident open while the storm lands.
    policy: { mode: 'observe', verification: { windowMs: 60_000 } },
    http: { coalesceMs: 500 },
  });
  const logger = pino({ level: 'silent' });
  pm2 = await Pm2Client.connect({ home: config.pm2.home! });
  worker = await createIncidentWorker({ connection: temporal.native, config, pm2, logger, workflowBundle: await workflowBundle() });
  running = worker.run();
  ingest = new Ingest(temporal.client, config, logger);
  app = buildIngressServer({ config, ingest, ready: async () => true, logger });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await app?.close();
  for (const service of [STORM_SERVICE, ...OTHER_SERVICES]) {
    for await (const run of temporal.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(`${service}.availability`)}'` })) {
      await temporal.client.workflow.getHandle(run.workflowId, run.runId).terminate('storm test done').catch(() => undefined);
    }
  }
  worker?.shutdown();
  await running?.catch(() => undefined);
  await pm2?.killDaemon().catch(() => undefined);
  await pm2?.disconnect().catch(() => undefined);
  await temporal?.close();
  await rm(dir, { recursive: true, force: true });
});

function body(service: string, startsAt: string): string {
  const summary = `${service} instance 0 failing health checks`;
  return alertmanagerBody({ service, name: 'InstanceUnhealthy', instance: 0, startsAt, fingerprint: `fp-${service}`, summary });
}

/** Runs the requests with at most `limit` in flight, as a busy sender pool would. */
async function pool<T>(items: T[], limit: number, send: (item: T) => Promise<number>): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) statuses.push(await send(items[next++]!));
    }),
  );
  return statuses;
}

async function receivedAcrossRuns(workflowId: string): Promise<{ runs: number; received: number }> {
  let runs = 0;
  let received = 0;
  for await (const run of temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs++;
    received += (await temporal.client.workflow.getHandle(workflowId, run.runId).query(statusQuery)).alerts.received;
  }
  return { runs, received };
}

test('5,000 identical alerts make one incident that counts all of them; other services get their own', async () => {
  const startsAt = new Date().toISOString();
  const sends: string[] = Array.from({ length: STORM }, () => STORM_SERVICE);
  // Spread the calm services through the storm, so they compete with it for the ingress.
  OTHER_SERVICES.forEach((service, s) => {
    for (let i = 0; i < OTHERS_EACH; i++) sends.splice((i * 120 + s * 37) % sends.length, 0, service);
  });
  const statuses = await pool(sends, CONCURRENCY, async (service) => {
    const response = await fetch(`${baseUrl}/hooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body(service, startsAt),
    });
    await response.arrayBuffer();
    return response.status;
  });
  assert.deepEqual([...new Set(statuses)], [202], 'every delivery accepted, none refused or failed');

  await ingest.flush();
  const expected = new Map([[STORM_SERVICE, STORM], ...OTHER_SERVICES.map((s) => [s, OTHERS_EACH] as const)]);
  for (const [service, sent] of expected) {
    const workflowId = workflowIdFor(`${service}.availability`);
    // Visibility is eventually consistent: wait until the incident is listed and has counted all.
    const deadline = Date.now() + 30_000;
    let seen = await receivedAcrossRuns(workflowId);
    while ((seen.received !== sent || seen.runs !== 1) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      seen = await receivedAcrossRuns(workflowId);
    }
    assert.equal(seen.runs, 1, `${service}: exactly one incident`);
    assert.equal(seen.received, sent, `${service}: alerts.received counts every delivery`);
  }
  assert.equal(ingest.undeliveredAlerts, 0, 'nothing accepted was left undelivered');

  const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
  const coalesced = Number(/zt_alerts_coalesced_total\{source="alertmanager"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  assert.ok(coalesced > STORM * 0.9, `most of the storm was coalesced, not signalled one by one (coalesced ${coalesced})`);
});
