// A worker run on its own (startSystem with only the worker part, as `npm run worker` runs it) serves its
// incident metrics on its own /metrics, and the Temporal SDK core exports temporal_* metrics on its own
// Prometheus endpoint. Real Temporal, real PM2, the real demo target: a hung instance is restarted and
// verified (auto-resolved), then an alert labelled risk=billing escalates, pages (to the log: no pager is
// configured) and is resolved by a human. Both endpoints are scraped over HTTP.
//
// The runtime is installed with its metrics exporter before anything else in this file, because the SDK's
// runtime is one per process and made by the first connection or worker; node:test runs each file in a
// process of its own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { WorkflowHandle } from '@temporalio/client';
import { parseConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { demoApp, demoInstanceUrl } from '../../demo/ecosystem';
import { injectFault } from '../../demo/faults';
import { Ingest } from '../../ingress/ingest';
import { createLogger } from '../../observability/logger';
import { installTemporalRuntime } from '../../observability/temporal-runtime';
import { Pm2Client } from '../../pm2/client';
import { parsePrometheusText, type Sample } from '../../probes/prometheus-text';
import { alertSchema, type AlertInput } from '../../signals/alert';
import { humanSignals } from '../../signals/contract';
import type { IncidentReport } from '../../signals/incident';
import { pickFreePort } from '../../temporal/free-port';
import { startSystem, type RunningSystem } from '../../workers/system';
import { awaitIncidentRun, awaitStatus, latestRunId, result, status } from '../helpers/incidents';
import { freePortRange, waitForHealthy } from '../helpers/system';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

let temporalMetricsUrl: string | null = null;
let temporal: TestTemporal;
let dir = '';
let config: Config;
let pm2: Pm2Client;
let system: RunningSystem;
let ingest: Ingest;
let basePort = 0;
const service = `metrics-${randomBytes(3).toString('hex')}`;
const workflowId = `incident-${service}.availability`;

before(async () => {
  const port = await pickFreePort();
  temporalMetricsUrl = installTemporalRuntime(createLogger('test-sdk'), { metricsAddress: `127.0.0.1:${port}` }).metricsUrl;
  temporal = await testTemporal(); // installs the runtime too: the first installation holds
  dir = await mkdtemp(path.join(os.tmpdir(), 'zt-metrics-'));
  basePort = await freePortRange(2);
  config = parseConfig({
    temporal: { taskQueue: uniqueTaskQueue('metrics') },
    pm2: { home: path.join(dir, 'pm2') },
    services: [{ name: service, basePort, instances: 2 }],
    metrics: { host: '127.0.0.1', port: 0 },
    policy: { verification: { windowMs: 1500 } },
  });
  pm2 = await Pm2Client.connect({ home: config.pm2.home! });
  await pm2.start(demoApp({ name: service, instances: 2, basePort, stateDir: path.join(dir, 'demo') }));
  await waitForHealthy(basePort, 2);
  const logger = pino({ level: 'silent' });
  // What `npm run worker` runs: the worker alone, so it serves its own /metrics.
  system = await startSystem(config, temporal.address, { worker: true, ingress: false, sentinel: false, demo: false }, logger);
  ingest = new Ingest(temporal.client, config, logger);
});

after(async () => {
  await ingest?.close().catch(() => undefined);
  await system?.stop();
  await pm2?.killDaemon().catch(() => undefined);
  await pm2?.disconnect().catch(() => undefined);
  await temporal?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The incident's report, or a failure naming its status when it does not close in time. */
async function closed(handle: WorkflowHandle, ms = 60_000): Promise<IncidentReport> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void status(handle).then(
        (s) => reject(new Error(`${handle.workflowId} not closed within ${ms} ms: ${JSON.stringify({ phase: s.phase, escalation: s.escalation, actions: s.actions.length })}`)),
        (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))),
      );
    }, ms);
  });
  try {
    return await Promise.race([result(handle), late]);
  } finally {
    clearTimeout(timer);
  }
}

function alert(over: Partial<AlertInput>): AlertInput {
  return {
    source: 'generic',
    service,
    name: 'InstanceHealthTimeout',
    status: 'firing',
    summary: 'health check timed out',
    startsAt: new Date().toISOString(),
    fingerprint: randomBytes(6).toString('hex'),
    ...over,
  };
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  return response.text();
}

function samplesOf(text: string, prefix: string): Sample[] {
  return parsePrometheusText(text.split('\n').filter((l) => l.startsWith(prefix)).join('\n'));
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels);
  const s = samples.find((x) => x.name === name && Object.keys(x.labels).length === wanted.length && wanted.every(([k, v]) => x.labels[k] === v));
  return s?.value ?? 0;
}

test('the worker alone serves incident metrics on its own /metrics; the SDK serves temporal_* metrics', async () => {
  assert.ok(system.metricsUrl, 'the worker serves metrics');
  assert.ok(temporalMetricsUrl, 'the SDK exports metrics');

  // 1. A hung instance: restarted, verified, auto-resolved.
  let previous = await latestRunId(temporal.client, workflowId);
  await injectFault(demoInstanceUrl(basePort, 1), { fault: 'hang' });
  await ingest.ingest([alertSchema.parse(alert({ instance: 1 }))]);
  const healed = await closed(await awaitIncidentRun(temporal.client, workflowId, previous));
  assert.equal(healed.outcome, 'auto-resolved', JSON.stringify(healed.escalation));
  await waitForHealthy(basePort, 2, 10_000);

  // 2. A billing risk: escalated at once, paged (log only), resolved by a human.
  previous = healed.runId;
  await ingest.ingest([alertSchema.parse(alert({ instance: 0, risk: ['billing'] }))]);
  const handle = await awaitIncidentRun(temporal.client, workflowId, previous);
  await awaitStatus(handle, 'the escalation', (s) => s.phase === 'escalated', 30_000);
  await handle.signal(humanSignals.resolve, { operator: 'oncall', rootCause: 'billing check' });
  const resolved = await closed(handle);
  assert.equal(resolved.outcome, 'resolved-by-human');

  const text = await scrape(system.metricsUrl);
  const zt = samplesOf(text, 'zt_');
  const cls = healed.class ?? 'unclassified';
  assert.equal(valueOf(zt, 'zt_incidents_total', { service, class: cls, outcome: 'auto-resolved' }), 1, text);
  assert.equal(valueOf(zt, 'zt_incidents_total', { service, class: resolved.class ?? 'unclassified', outcome: 'resolved-by-human' }), 1, text);
  assert.equal(valueOf(zt, 'zt_recovery_seconds_count', { class: cls, outcome: 'auto-resolved' }), 1);
  assert.ok(valueOf(zt, 'zt_recovery_seconds_sum', { class: cls, outcome: 'auto-resolved' }) > 0);
  assert.equal(valueOf(zt, 'zt_actions_total', { action: healed.actions[0]!.action, result: 'verified' }), 1, text);
  assert.equal(valueOf(zt, 'zt_escalations_total', { reason: 'risk' }), 1, text);
  assert.equal(valueOf(zt, 'zt_human_messages_total', { kind: 'page', channel: 'log' }), 1, text);
  assert.match(text, /^process_resident_memory_bytes /m, 'process metrics');
  assert.doesNotMatch(text, /zt_alerts_/, 'no ingress here, so no ingress metrics');

  // The SDK's own metrics: polls, task latencies and completions of this worker's task queue.
  const sdkText = await scrape(temporalMetricsUrl);
  const sdk = samplesOf(sdkText, 'temporal_');
  assert.ok(sdk.length > 0, 'temporal_ series exported');
  const ours = sdk.filter((s) => s.labels.task_queue === config.temporal.taskQueue);
  assert.ok(ours.length > 0, `series labelled with our task queue ${config.temporal.taskQueue}`);
  const names = new Set(ours.map((s) => s.name));
  assert.ok([...names].some((n) => n.startsWith('temporal_activity_')), `activity metrics among ${[...names].join(', ')}`);
  assert.ok([...names].some((n) => n.startsWith('temporal_workflow_')), `workflow metrics among ${[...names].join(', ')}`);
});

test('the worker metrics server answers /healthz and leaves a taken port to a warning', async () => {
  const health = await fetch(new URL('/healthz', system.metricsUrl!));
  assert.equal(health.status, 200);
  // A second worker on the same port (two workers on one host): it starts all the same, without metrics.
  const { startMetricsServer } = await import('../../workers/metrics-server');
  const { Registry } = await import('prom-client');
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(String((JSON.parse(line) as { msg: string }).msg)) });
  const port = Number(new URL(system.metricsUrl!).port);
  const second = await startMetricsServer({ registry: new Registry(), host: '127.0.0.1', port, logger });
  assert.equal(second, null);
  assert.match(warnings.join('\n'), /worker metrics not served: cannot listen on 127\.0\.0\.1:\d+/);
});
