// Incident metrics without Temporal: the escalation reasons the workflow really writes (from the gate,
// the governor and the blast-radius rule themselves) fold into the bounded labels; a report is counted
// once however often publishReport is retried; pages and notifications are counted from what was
// delivered, once per delivery across retries, and a page with no pager shows as channel="log".
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../activities/deps';
import { notifyResolved, pageHumans, publishReport, resolvePage, type NotificationResult } from '../../activities/report';
import { parseConfig } from '../../config/load';
import { createIngressMetrics } from '../../ingress/metrics';
import {
  actionResult,
  createIncidentMetrics,
  ESCALATION_REASONS,
  escalationReason,
  type EscalationReason,
  type IncidentMetrics,
} from '../../observability/incident-metrics';
import type { Diagnosis } from '../../policy/types';
import type { PageContext } from '../../notify/types';
import type { Pm2Client } from '../../pm2/client';
import { parsePrometheusText } from '../../probes/prometheus-text';
import { governorSettingsSchema, type PermitRequest, type PermitVerdict } from '../../signals/governor';
import type { ActionRecord } from '../../signals/incident';
import { checkBlastRadius } from '../../workflows/blast-radius';
import { decide } from '../../workflows/gate';
import { GovernorState } from '../../workflows/governor-state';
import { closeAll, samplePage, sampleReport, startReceivers, type Receiver } from '../helpers/receivers';

function diagnosis(over: Partial<Diagnosis> = {}): Diagnosis {
  return {
    signatureId: 'event-loop-deadlock',
    class: 'deadlock',
    healthy: false,
    severity: 'low',
    confidence: 0.9,
    reasons: ['hung'],
    riskFlags: [],
    affectedPmIds: [1],
    playbook: ['pm2-restart'],
    policy: { mode: 'auto', confidenceThreshold: 0.7, maxFailedAttempts: 2 },
    ...over,
  };
}

/** The gate's reason for a decision that must be an escalation or an observe-only plan. */
function gateReason(over: Partial<Diagnosis>, failedAttempts = 0, followUp: 'approved' | 'rejected' | null = null): string {
  const d = decide({ diagnosis: diagnosis(over), failedAttempts, followUp });
  assert.ok(d.kind === 'escalate' || d.kind === 'observe', `expected an escalation, got ${d.kind}: ${d.reason}`);
  return d.reason;
}

const T0 = Date.parse('2026-01-05T10:00:00.000Z');
const REQUEST: PermitRequest = {
  incidentWorkflowId: 'incident-api.availability',
  incidentId: 'INC-A',
  service: 'api',
  action: 'pm2-restart',
  takesOutOfService: 1,
  instances: 2,
};

function governor(settings: Record<string, unknown> = {}): GovernorState {
  return new GovernorState({ mode: 'auto', settings: governorSettingsSchema.parse({ knownServices: ['api'], ...settings }) }, T0, 'gov1');
}

function refusal(v: PermitVerdict): string {
  assert.notEqual(v.verdict, 'granted', v.reason);
  return v.reason;
}

function governorReasons(): Record<string, string> {
  const frozen = governor();
  frozen.receive('setMode', { operator: 'alice', mode: 'frozen', reason: 'blast radius review' }, T0);
  const observing = governor();
  observing.receive('setMode', { operator: 'alice', mode: 'observe', reason: 'budget freeze' }, T0);
  const maintenance = governor();
  maintenance.receive('startMaintenance', { operator: 'alice', service: 'api', durationMs: 60_000, reason: 'breaker swap; observe mode' }, T0);
  const breaker = governor({ breaker: { maxRemediations: 1, windowMs: 3_600_000 } });
  const permit = breaker.requestPermit(REQUEST, T0);
  assert.equal(permit.verdict, 'granted');
  breaker.releasePermit({ permitId: permit.verdict === 'granted' ? permit.permitId : '', outcome: 'verified' }, T0 + 1);
  const blast = governor();
  const budget = governor({ actionsPerHour: 0 });
  const radius = checkBlastRadius({ takesOutOfService: 2, instances: 2, maxInstanceShare: 0.5 });
  assert.equal(radius.allowed, false);
  return {
    frozen: refusal(frozen.requestPermit(REQUEST, T0 + 1)),
    observe: refusal(observing.requestPermit(REQUEST, T0 + 1)),
    maintenance: refusal(maintenance.requestPermit(REQUEST, T0 + 1)),
    breaker: refusal(breaker.requestPermit(REQUEST, T0 + 2)),
    blast: refusal(blast.requestPermit({ ...REQUEST, takesOutOfService: 2 }, T0)),
    budget: refusal(budget.requestPermit(REQUEST, T0)),
    unknown: refusal(governor().requestPermit({ ...REQUEST, service: 'nope' }, T0)),
    wait: (() => {
      const g = governor();
      assert.equal(g.requestPermit(REQUEST, T0).verdict, 'granted');
      return refusal(g.requestPermit({ ...REQUEST, incidentWorkflowId: 'incident-api.resources', incidentId: 'INC-B' }, T0 + 1));
    })(),
    radius: radius.allowed ? '' : radius.reason,
  };
}

describe('escalation reasons fold into bounded labels', () => {
  const observeMode = { mode: 'observe', confidenceThreshold: 0.7, maxFailedAttempts: 2 } as const;
  const cases: Array<[string, () => string, EscalationReason]> = [
    ['gate: risk flags', () => gateReason({ riskFlags: ['billing', 'auth'] }), 'risk'],
    ['gate: two failed attempts', () => gateReason({}, 2), 'failed-twice'],
    ['gate: frozen mode', () => gateReason({ policy: { ...observeMode, mode: 'frozen' } }), 'frozen'],
    ['gate: observe mode', () => gateReason({ policy: observeMode }), 'observe'],
    ['gate: confidence below the threshold', () => gateReason({ confidence: 0.5 }), 'low-confidence'],
    ['gate: nothing matched', () => gateReason({ class: null }), 'low-confidence'],
    ['gate: high severity', () => gateReason({ severity: 'high' }), 'high-severity'],
    ['gate: empty playbook', () => gateReason({ playbook: [] }), 'no-playbook'],
    ['gate: excluded step rejected', () => gateReason({ playbook: ['schema-change'] }, 0, 'rejected'), 'excluded-step'],
    ['gate: follow-up rejected', () => gateReason({ severity: 'medium' }, 1, 'rejected'), 'human'],
    [
      'gate: class not certified by a recent drill',
      () => gateReason({ policy: { mode: 'auto', confidenceThreshold: 0.7, maxFailedAttempts: 2, uncertified: 'class deadlock is not certified (it has never passed a drill)' } }),
      'uncertified',
    ],
  ];
  for (const [name, reason, label] of cases) {
    test(`${name} → ${label}`, () => assert.equal(escalationReason(reason()), label, reason()));
  }

  test('the governor: frozen, observe, maintenance, breaker, blast radius, budget, unknown service', () => {
    const r = governorReasons();
    assert.equal(escalationReason(r.frozen!), 'frozen', r.frozen);
    assert.equal(escalationReason(r.observe!), 'observe', r.observe);
    assert.equal(escalationReason(r.maintenance!), 'maintenance', r.maintenance);
    assert.equal(escalationReason(r.breaker!), 'breaker', r.breaker);
    assert.equal(escalationReason(r.blast!), 'blast-radius', r.blast);
    assert.equal(escalationReason(r.radius!), 'blast-radius', r.radius);
    assert.equal(escalationReason(r.budget!), 'budget', r.budget);
    assert.equal(escalationReason(r.unknown!), 'other', r.unknown);
  });

  test("the incident workflow's own reasons, quoting other text, keep their own label", () => {
    const r = governorReasons();
    // workflows/incident.ts builds these around what it quotes; the quoted text must not decide the label.
    const refused = `drain-traffic was refused and nothing was changed; trying again cannot help: ${r.radius}`;
    const waited = `waited 30 times for the governor: ${r.wait}`;
    assert.equal(escalationReason(refused), 'refused');
    assert.equal(escalationReason(waited), 'other');
    assert.equal(escalationReason('no resolution after 10 rounds of diagnosis'), 'other');
    assert.equal(escalationReason('something no code writes'), 'other');
    // Guard against a rewording in the workflow that these patterns would silently stop matching.
    const source = readFileSync(path.join(__dirname, '../../workflows/incident.ts'), 'utf8');
    for (const phrase of ['was refused and nothing was changed; trying again cannot help', 'times for the governor: ', 'rounds of diagnosis']) {
      assert.ok(source.includes(phrase), `workflows/incident.ts still says "${phrase}"`);
    }
  });

  test('every label is one of the documented ones', () => {
    const r = governorReasons();
    for (const text of Object.values(r)) assert.ok(ESCALATION_REASONS.includes(escalationReason(text)));
  });
});

function action(over: Partial<ActionRecord>): ActionRecord {
  return {
    action: 'pm2-restart',
    attempt: 1,
    idempotencyKey: 'INC-1/attempt-1/pm2-restart',
    pmIds: [1],
    startedAt: '2026-01-05T10:00:00.000Z',
    endedAt: '2026-01-05T10:00:01.000Z',
    performed: true,
    error: null,
    summary: '',
    undo: { kind: 'none', why: 'nothing' },
    verified: null,
    verification: null,
    undone: false,
    ...over,
  };
}

test('action results', () => {
  assert.equal(actionResult(action({ verified: true })), 'verified');
  assert.equal(actionResult(action({ verified: false })), 'failed-verification');
  assert.equal(actionResult(action({ performed: false, error: 'InvalidRequestError: bound', refused: true })), 'refused');
  assert.equal(actionResult(action({ performed: false, error: 'pm2 timed out' })), 'failed');
  assert.equal(actionResult(action({ verified: null })), 'not-performed');
});

/** One sample's value, by series name and exact labels, as a scraper reads it; 0 when absent. */
async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const wanted = Object.entries(labels);
  // Only zt_ lines: prom-client writes the event-loop lag before its first reading as "Nan", which Prometheus
  // takes (any case) and probes/prometheus-text.ts, written for apps' own counters, refuses.
  const ours = (await registry.metrics()).split('\n').filter((line) => line.startsWith('zt_'));
  const sample = parsePrometheusText(ours.join('\n')).find(
    (s) => s.name === name && Object.keys(s.labels).length === wanted.length && wanted.every(([k, v]) => s.labels[k] === v),
  );
  return sample?.value ?? 0;
}

describe('recording a report', () => {
  test('incident, recovery time, actions and escalation, once per incident however often publishReport runs', async () => {
    const registry = new Registry();
    const metrics = createIncidentMetrics(registry);
    const deps = { config: parseConfig({}), pm2: {} as Pm2Client, logger: pino({ level: 'silent' }), metrics } as ActivityDeps;
    const healed = sampleReport({ incidentId: 'INC-20260105-aaaa0001', ttrSeconds: 8.2 });
    const escalated = sampleReport({
      incidentId: 'INC-20260105-aaaa0002',
      class: 'process-crash',
      outcome: 'resolved-by-human',
      ttrSeconds: 95,
      actions: [action({ verified: false }), action({ attempt: 2, verified: false }), action({ action: 'rollback-deploy', attempt: 3, performed: false, error: 'no previous release', refused: true })],
      escalation: { reason: 'mandatory escalation: recovery failed 2 times', at: '2026-01-05T10:01:00.000Z' },
    });
    await publishReport(deps, healed);
    await publishReport(deps, healed); // a retried activity
    await publishReport(deps, escalated);
    assert.equal(metrics.recordReport(escalated), false, 'already counted');

    assert.equal(await value(registry, 'zt_incidents_total', { service: 'localize-api', class: 'deadlock', outcome: 'auto-resolved' }), 1);
    assert.equal(await value(registry, 'zt_incidents_total', { service: 'localize-api', class: 'process-crash', outcome: 'resolved-by-human' }), 1);
    assert.equal(await value(registry, 'zt_recovery_seconds_count', { class: 'deadlock', outcome: 'auto-resolved' }), 1);
    assert.equal(await value(registry, 'zt_recovery_seconds_sum', { class: 'deadlock', outcome: 'auto-resolved' }), 8.2);
    assert.equal(await value(registry, 'zt_recovery_seconds_bucket', { class: 'deadlock', outcome: 'auto-resolved', le: '5' }), 0);
    assert.equal(await value(registry, 'zt_recovery_seconds_bucket', { class: 'deadlock', outcome: 'auto-resolved', le: '10' }), 1);
    assert.equal(await value(registry, 'zt_recovery_seconds_bucket', { class: 'process-crash', outcome: 'resolved-by-human', le: '60' }), 0);
    assert.equal(await value(registry, 'zt_recovery_seconds_bucket', { class: 'process-crash', outcome: 'resolved-by-human', le: '120' }), 1);
    assert.equal(await value(registry, 'zt_actions_total', { action: 'pm2-restart', result: 'verified' }), 1);
    assert.equal(await value(registry, 'zt_actions_total', { action: 'pm2-restart', result: 'failed-verification' }), 2);
    assert.equal(await value(registry, 'zt_actions_total', { action: 'rollback-deploy', result: 'refused' }), 1);
    assert.equal(await value(registry, 'zt_escalations_total', { reason: 'failed-twice' }), 1);

    const text = await registry.metrics();
    assert.match(text, /^zt_recovery_seconds_bucket\{le="1800",class="deadlock",outcome="auto-resolved"\} 1$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m, 'process metrics too');
  });

  test('an unclassified incident is labelled so; one registry holds the ingress and the worker metrics', async () => {
    const registry = new Registry();
    createIngressMetrics(registry);
    const metrics = createIncidentMetrics(registry);
    assert.equal(createIncidentMetrics(registry), metrics, 'the same metrics (and memory of counted incidents) for one registry');
    createIngressMetrics(registry); // and again, as a second server on the same registry would
    metrics.recordReport(sampleReport({ incidentId: 'INC-x', class: null, outcome: 'recovered-without-action', actions: [] }));
    const text = await registry.metrics();
    assert.match(text, /^zt_incidents_total\{service="localize-api",class="unclassified",outcome="recovered-without-action"\} 1$/m);
    assert.match(text, /^# TYPE zt_alerts_deduplicated_total counter$/m);
    assert.equal(text.match(/^# TYPE process_cpu_user_seconds_total/gm)?.length, 1, 'default metrics registered once');
  });

  test('the memory of counted incidents is bounded, and the oldest are forgotten first', () => {
    const metrics = createIncidentMetrics(new Registry());
    for (let i = 0; i < 10_001; i++) assert.equal(metrics.recordReport(sampleReport({ incidentId: `INC-${i}`, actions: [] })), true);
    assert.equal(metrics.recordReport(sampleReport({ incidentId: 'INC-10000', actions: [] })), false, 'the newest is remembered');
    assert.equal(metrics.recordReport(sampleReport({ incidentId: 'INC-0', actions: [] })), true, 'the oldest was forgotten');
  });
});

describe('pages versus notifications, from what was delivered', () => {
  const RUN_ID = '0192f3a4-0000-7000-8000-0000000000bb';
  let rx: Record<'slack' | 'pagerduty' | 'hook', Receiver>;
  let registry: Registry;
  let metrics: IncidentMetrics;

  before(async () => {
    rx = await startReceivers(['slack', 'pagerduty', 'hook'] as const, { pagerduty: { status: 202 } });
  });
  after(() => closeAll(rx));
  afterEach(() => {
    for (const r of Object.values(rx)) r.clear();
  });

  function deps(notifiers: Record<string, unknown> = {}): ActivityDeps {
    registry = new Registry();
    metrics = createIncidentMetrics(registry);
    const config = parseConfig({
      notifiers: {
        slack: { webhookUrl: rx.slack.url('/services/T000/B000/X') },
        pagerduty: { eventsUrl: rx.pagerduty.url('/v2/enqueue'), routingKey: 'R0UT1NGKEY0123456789abcdefABCDEF', source: 'web-1' },
        webhooks: [{ name: 'ops-bus', url: rx.hook.url('/zt'), events: ['resolved', 'escalated', 'page-resolved'] }],
        timeoutMs: 1000,
        ...notifiers,
      },
    });
    return { config, pm2: {} as Pm2Client, logger: pino({ level: 'silent' }), metrics };
  }

  /** Runs an activity as the workflow's retry policy would: same activity, attempts numbered, heartbeats carried. */
  async function withRetries<A extends unknown[], R>(fn: (...args: A) => Promise<R>, args: A, max = 5): Promise<R | undefined> {
    let details: unknown;
    for (let attempt = 1; attempt <= max; attempt++) {
      const env = new MockActivityEnvironment(
        { attempt, heartbeatDetails: details, activityId: '7', workflowExecution: { workflowId: 'incident-localize-api.availability', runId: RUN_ID } },
        { logger: new DefaultLogger('ERROR') },
      );
      env.on('heartbeat', (d: unknown) => (details = d));
      try {
        return await env.run(fn, ...args);
      } catch {
        // retried, like the workflow's retry policy
      }
    }
    return undefined;
  }

  test('a page to PagerDuty and a webhook, retried after a 500, is counted once per channel', async () => {
    const d = deps();
    rx.pagerduty.answer(500);
    await withRetries((p) => pageHumans(d, p), [samplePage()]);
    assert.equal(rx.pagerduty.requests.length, 2);
    assert.equal(await value(registry, 'zt_human_messages_total', { kind: 'page', channel: 'pagerduty' }), 1);
    assert.equal(await value(registry, 'zt_human_messages_total', { kind: 'page', channel: 'webhook:ops-bus' }), 1);
    assert.equal(await value(registry, 'zt_human_messages_total', { kind: 'page', channel: 'log' }), 0, 'a pager was configured');
  });

  test('an activity run again after its completion was lost hands back the same deliveries: not counted again', async () => {
    const d = deps();
    let details: unknown;
    const run = async (attempt: number): Promise<NotificationResult> => {
      const env = new MockActivityEnvironment(
        { attempt, heartbeatDetails: details, activityId: '9', workflowExecution: { workflowId: 'incident-localize-api.availability', runId: RUN_ID } },
        { logger: new DefaultLogger('ERROR') },
      );
      env.on('heartbeat', (x: unknown) => (details = x));
      const page = async (p: PageContext): Promise<NotificationResult> => (await pageHumans(d, p)) as NotificationResult;
      return env.run(page, samplePage());
    };
    const first = await run(1);
    const again = await run(2);
    assert.deepEqual(again.deliveries, first.deliveries, 'nothing re-sent: the heartbeat carried what was delivered');
    assert.equal(rx.pagerduty.requests.length, 1);
    assert.equal(await value(registry, 'zt_human_messages_total', { kind: 'page', channel: 'pagerduty' }), 1);
    assert.equal(await value(registry, 'zt_human_messages_total', { kind: 'page', channel: 'webhook:ops-bus' }), 1);
  });

  test('with no pager configured a page is counted as channel="log", once across retries', async () => {
    const d = deps({ pagerduty: undefined });
    rx.hook.answer(503);
    await withRetries((p) => pageHumans(d, p), [samplePage()]);
    assert.equal(rx.hook.requests.length, 2);
    assert.equal(await value(registry, 'zt_human_messages_total', { kind: 'page', channel: 'log' }), 1);
    assert.equal(await value(registry, 'zt_human_messages_total', { kind: 'page', channel: 'webhook:ops-bus' }), 1);
  });

  test('resolving a page and announcing a self-healed incident: page-resolve and notification, never page', async () => {
    const d = deps();
    await withRetries((r) => resolvePage(d, r), [{ incidentId: 'INC-1', workflowId: 'incident-x', service: 'localize-api', operator: 'alice' }]);
    rx.hook.answer(502);
    await withRetries((r) => notifyResolved(d, r), [sampleReport()]);
    assert.equal(rx.slack.requests.length, 1);
    assert.equal(await value(registry, 'zt_human_messages_total', { kind: 'page-resolve', channel: 'pagerduty' }), 1);
    assert.equal(await value(registry, 'zt_human_messages_total', { kind: 'page-resolve', channel: 'webhook:ops-bus' }), 1);
    assert.equal(await value(registry, 'zt_human_messages_total', { kind: 'notification', channel: 'slack' }), 1, 'Slack once though the activity ran twice');
    assert.equal(await value(registry, 'zt_human_messages_total', { kind: 'notification', channel: 'webhook:ops-bus' }), 1);
    const text = await registry.metrics();
    assert.doesNotMatch(text, /kind="page",/);
  });
});
