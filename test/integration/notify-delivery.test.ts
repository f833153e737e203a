// The notifying activities against local receivers standing in for Slack, PagerDuty and a webhook, run
// in a Temporal activity context (MockActivityEnvironment) with the workflow's retry semantics replayed
// by hand: attempts numbered, heartbeat details carried to the next attempt, InvalidRequestError final.
// No Temporal server and no PM2: these activities need neither.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import pino from 'pino';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../activities/deps';
import { InvalidRequestError } from '../../activities/errors';
import { NotificationDeliveryError } from '../../activities/notify';
import { notifyResolved, pageHumans, resolvePage, type NotificationResult } from '../../activities/report';
import { parseConfig } from '../../config/load';
import type { Pm2Client } from '../../pm2/client';
import { closeAll, Receiver, samplePage, sampleReport, startReceivers } from '../helpers/receivers';

const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const SECRET = 'a-long-enough-hmac-secret';
const RUN_ID = '0192f3a4-0000-7000-8000-0000000000aa';
const WORKFLOW_ID = 'incident-localize-api.availability';
// The workflow's `tell` activities list these as non-retryable (workflows/incident.ts).
const TERMINAL = ['UnknownServiceError', 'InvalidRequestError'];

let rx: Record<'slack' | 'pagerduty' | 'hook', Receiver>;
let logLines: Array<Record<string, unknown>> = [];

before(async () => {
  rx = await startReceivers(['slack', 'pagerduty', 'hook'] as const, { pagerduty: { status: 202 } });
});
after(() => closeAll(rx));
afterEach(() => {
  for (const r of Object.values(rx)) r.clear();
  logLines = [];
});

function deps(notifiers: Record<string, unknown> = {}): ActivityDeps {
  const config = parseConfig({
    notifiers: {
      slack: { webhookUrl: rx.slack.url('/services/T000/B000/SLACKSECRET'), username: 'zero-touch' },
      pagerduty: { eventsUrl: rx.pagerduty.url('/v2/enqueue'), routingKey: ROUTING_KEY, source: 'web-1' },
      webhooks: [{ name: 'ops-bus', url: rx.hook.url('/zt'), events: ['resolved', 'escalated', 'human-resolved', 'page-resolved'], headers: { Authorization: 'Bearer bus-token' }, hmacSecret: SECRET }],
      timeoutMs: 1000,
      publicUrl: 'http://ui.example:8233',
      ...notifiers,
    },
  });
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  return { config, pm2: {} as Pm2Client, logger };
}

interface Attempts<R> {
  result?: R;
  errors: Error[];
}

/** Runs an activity the way the workflow's retry policy would, up to `max` attempts. */
async function withRetries<A extends unknown[], R>(fn: (...args: A) => Promise<R>, args: A, max = 5): Promise<Attempts<R>> {
  const errors: Error[] = [];
  let details: unknown;
  for (let attempt = 1; attempt <= max; attempt++) {
    const env = new MockActivityEnvironment(
      { attempt, heartbeatDetails: details, workflowExecution: { workflowId: WORKFLOW_ID, runId: RUN_ID } },
      { logger: new DefaultLogger('ERROR') },
    );
    env.on('heartbeat', (d: unknown) => (details = d));
    try {
      return { result: await env.run(fn, ...args), errors };
    } catch (err) {
      errors.push(err as Error);
      if (TERMINAL.includes((err as Error).name)) break;
    }
  }
  return { errors };
}

const once = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A) => withRetries(fn, args, 1);

function delivered(r: { result?: NotificationResult | void }): NotificationResult {
  assert.ok(r.result, 'the activity completed with a result');
  return r.result;
}

function verifySignature(body: string, header: string | string[] | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`);
  const got = Buffer.from(String(header ?? ''));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

describe('acceptance: notified, not woken', () => {
  test('a self-resolved incident sends exactly one notification (Slack) and no page', async () => {
    const report = sampleReport({ runId: RUN_ID });
    const r = delivered(await once((rep) => notifyResolved(deps(), rep), report));

    assert.equal(rx.slack.requests.length, 1, 'one Slack message');
    assert.equal(rx.pagerduty.requests.length, 0, 'no page');
    assert.equal(rx.hook.requests.length, 1, 'the webhook subscribed to "resolved"');
    assert.equal(rx.hook.bodies()[0].event, 'resolved');

    const slack = rx.slack.requests[0]!;
    assert.equal(slack.method, 'POST');
    assert.equal(slack.path, '/services/T000/B000/SLACKSECRET');
    assert.equal(slack.headers['content-type'], 'application/json');
    const msg = JSON.parse(slack.body);
    assert.deepEqual(Object.keys(msg).sort(), ['blocks', 'text', 'username']);
    assert.match(msg.text, /Resolved without paging anyone: localize-api deadlock, resolved automatically in 8\.2 s \(INC-20250101-abcdef12, incident-localize-api\.availability\)/);
    assert.deepEqual(msg.blocks.map((b: { type: string }) => b.type), ['header', 'section', 'section', 'section', 'context']);
    assert.match(JSON.stringify(msg.blocks), /pm2-restart \(attempt 1\) on pm_id 1: verified/);
    assert.match(JSON.stringify(msg.blocks), new RegExp(`<http://ui\\.example:8233/namespaces/default/workflows/${WORKFLOW_ID.replace('.', '\\.')}/${RUN_ID}\\|`));

    assert.deepEqual(r.deliveries.map((d) => [d.channel, d.event, d.status, d.attempt]).sort(), [['slack', 'resolved', 200, 1], ['webhook:ops-bus', 'resolved', 200, 1]]);
    assert.equal(r.deliveries.find((d) => d.channel === 'webhook:ops-bus')?.dedupKey, 'INC-20250101-abcdef12:resolved');
    assert.match(r.summary, /^resolved INC-20250101-abcdef12: delivered: /);
    assert.ok(!JSON.stringify(r).includes('SLACKSECRET'), 'the recorded result holds no webhook secret');
  });

  test('an escalated incident sends exactly one page, and a resolve with the same dedup_key when a human closes it', async () => {
    const page = samplePage({ class: 'process-crash', severity: 'high', confidence: 0.9 });
    const paged = delivered(await once((p) => pageHumans(deps(), p), page));

    assert.equal(rx.pagerduty.requests.length, 1, 'one page');
    const trigger = rx.pagerduty.bodies()[0];
    assert.deepEqual(Object.keys(trigger).sort(), ['client', 'client_url', 'dedup_key', 'event_action', 'links', 'payload', 'routing_key']);
    assert.equal(trigger.routing_key, ROUTING_KEY);
    assert.equal(trigger.event_action, 'trigger');
    assert.equal(trigger.dedup_key, page.incidentId);
    assert.deepEqual(
      { summary: trigger.payload.summary, source: trigger.payload.source, severity: trigger.payload.severity, component: trigger.payload.component, class: trigger.payload.class },
      { summary: `${page.incidentId} localize-api: ${page.reason}`, source: 'web-1', severity: 'critical', component: 'localize-api', class: 'process-crash' },
    );
    assert.equal(trigger.payload.custom_details.run_id, RUN_ID, 'the run id comes from the activity context');
    assert.equal(trigger.links[0].href, `http://ui.example:8233/namespaces/default/workflows/${WORKFLOW_ID}/${RUN_ID}`);
    assert.deepEqual(paged.deliveries.map((d) => [d.channel, d.event, d.dedupKey]).sort(), [['pagerduty', 'escalated', page.incidentId], ['webhook:ops-bus', 'escalated', `${page.incidentId}:escalated`]]);
    assert.ok(logLines.some((l) => String(l.msg).startsWith(`PAGE ${page.incidentId} localize-api`)), 'the page is logged too');

    // A human closes it: the page is resolved, and no chat message celebrates a human's fix.
    const closedBy = { incidentId: page.incidentId, workflowId: page.workflowId, service: page.service, operator: 'alice', reason: 'bad config reverted by hand' };
    const resolved = delivered(await once((req) => resolvePage(deps(), req), closedBy));
    const report = sampleReport({ incidentId: page.incidentId, outcome: 'resolved-by-human', resolution: { operator: 'alice', rootCause: 'bad config' } });
    const told = delivered(await once((rep) => notifyResolved(deps(), rep), report));

    assert.equal(rx.pagerduty.requests.length, 2, 'the trigger and one resolve');
    assert.deepEqual(rx.pagerduty.bodies()[1], { routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: trigger.dedup_key });
    assert.equal(rx.slack.requests.length, 0, 'no Slack message for an escalated incident');
    assert.deepEqual(rx.hook.bodies().map((b) => b.event), ['escalated', 'page-resolved', 'human-resolved']);
    assert.deepEqual(rx.hook.bodies()[1].resolution, { operator: 'alice', reason: 'bad config reverted by hand' });
    assert.deepEqual(resolved.deliveries.map((d) => [d.channel, d.event]).sort(), [['pagerduty', 'page-resolved'], ['webhook:ops-bus', 'page-resolved']]);
    assert.deepEqual(told.deliveries.map((d) => [d.channel, d.event]), [['webhook:ops-bus', 'human-resolved']]);
    assert.deepEqual(told.notSent, ['slack: only self-resolved incidents are announced there']);
  });
});

describe('retries and refusals', () => {
  test('a 500 from PagerDuty is retryable; the retry delivers the same dedup_key and records its attempt', async () => {
    rx.pagerduty.answer(500);
    const page = samplePage();
    const run = await withRetries((p) => pageHumans(deps({ webhooks: [] }), p), [page]);
    assert.equal(run.errors.length, 1);
    assert.ok(run.errors[0] instanceof NotificationDeliveryError, `retryable, got ${run.errors[0]?.name}`);
    assert.ok(!TERMINAL.includes(run.errors[0]!.name));
    assert.match(run.errors[0]!.message, /will retry pagerduty: 127\.0\.0\.1:\d+ answered HTTP 500/);
    assert.deepEqual(rx.pagerduty.requests.map((r) => r.answeredWith), [500, 202]);
    assert.deepEqual(rx.pagerduty.bodies().map((b) => b.dedup_key), [page.incidentId, page.incidentId]);
    assert.deepEqual(delivered(run).deliveries.map((d) => [d.channel, d.status, d.attempt]), [['pagerduty', 202, 2]]);
  });

  test('a 400 is not retryable: InvalidRequestError, one request', async () => {
    rx.pagerduty.answer(400);
    const run = await withRetries((p) => pageHumans(deps({ webhooks: [] }), p), [samplePage()]);
    assert.equal(run.result, undefined);
    assert.equal(run.errors.length, 1);
    assert.ok(run.errors[0] instanceof InvalidRequestError);
    assert.equal(run.errors[0].name, 'InvalidRequestError');
    assert.match(run.errors[0].message, /refused for good pagerduty: .* answered HTTP 400: \{"status":"error"/);
    assert.equal(rx.pagerduty.requests.length, 1);
  });

  test('429 and 408 are retried like a 5xx', async () => {
    rx.pagerduty.answer(429, 408);
    const run = await withRetries((p) => pageHumans(deps({ webhooks: [] }), p), [samplePage()]);
    assert.deepEqual(run.errors.map((e) => e.name), ['NotificationDeliveryError', 'NotificationDeliveryError']);
    assert.equal(delivered(run).deliveries[0]?.attempt, 3);
  });

  test('a Slack message is sent once even when the activity is retried for another receiver', async () => {
    rx.hook.answer(503, 503);
    const run = await withRetries((rep) => notifyResolved(deps(), rep), [sampleReport()]);
    assert.equal(run.errors.length, 2);
    assert.equal(rx.slack.requests.length, 1, 'delivered on attempt 1 and not repeated');
    assert.equal(rx.hook.requests.length, 3);
    assert.deepEqual(delivered(run).deliveries.map((d) => [d.channel, d.attempt]), [['slack', 1], ['webhook:ops-bus', 3]]);
  });

  test('a refused webhook does not stop the page: PagerDuty is retried, the refused one is not, then the activity fails for good', async () => {
    rx.pagerduty.answer(502);
    rx.hook.answer(401);
    const run = await withRetries((p) => pageHumans(deps(), p), [samplePage()]);
    assert.deepEqual(run.errors.map((e) => e.name), ['NotificationDeliveryError', 'InvalidRequestError']);
    assert.deepEqual(rx.pagerduty.requests.map((r) => r.answeredWith), [502, 202], 'the page got out');
    assert.equal(rx.hook.requests.length, 1, 'the refused webhook was not asked again');
    assert.match(run.errors[1]!.message, /refused for good webhook:ops-bus: .* answered HTTP 401.*delivered: pagerduty 202 \(dedup_key INC-20250101-0badc0de\)/);
  });

  test('a receiver that does not answer in timeoutMs is retried; no secret in the error', async () => {
    rx.slack.answer('hang');
    const run = await withRetries((rep) => notifyResolved(deps({ webhooks: [], timeoutMs: 200 }), rep), [sampleReport()], 2);
    assert.match(run.errors[0]!.message, /will retry slack: 127\.0\.0\.1:\d+ unreachable: no answer within 200 ms/);
    assert.ok(!run.errors[0]!.message.includes('SLACKSECRET'));
    assert.equal(delivered(run).deliveries[0]?.attempt, 2);
  });

  test('an unreachable receiver is retryable', async () => {
    const gone = await Receiver.start();
    await gone.close();
    const run = await once((p) => pageHumans(deps({ pagerduty: { eventsUrl: gone.url('/v2/enqueue'), routingKey: ROUTING_KEY }, webhooks: [] }), p), samplePage());
    assert.ok(run.errors[0] instanceof NotificationDeliveryError);
    assert.match(run.errors[0].message, /pagerduty: 127\.0\.0\.1:\d+ unreachable: ECONNREFUSED/);
  });
});

describe('formats and configuration', () => {
  test('the webhook can verify the HMAC signature over the raw body', async () => {
    await once((p) => pageHumans(deps(), p), samplePage());
    const req = rx.hook.requests[0]!;
    assert.ok(verifySignature(req.body, req.headers['x-zerotouch-signature']), 'signature matches');
    assert.ok(!verifySignature(req.body.replace('localize-api', 'other-api'), req.headers['x-zerotouch-signature']), 'a changed body does not');
    assert.equal(req.headers.authorization, 'Bearer bus-token');
    assert.equal(req.headers['x-zerotouch-event'], 'escalated');
    assert.equal(req.headers['x-zerotouch-delivery'], 'INC-20250101-0badc0de:escalated');
    const body = JSON.parse(req.body);
    assert.deepEqual(Object.keys(body), ['event', 'version', 'incidentId', 'workflowId', 'runId', 'service', 'sentAt', 'deliveryId', 'link', 'page']);
    assert.equal(body.runId, RUN_ID);
  });

  test('webhooks get only the events they subscribe to', async () => {
    const d = deps({ webhooks: [{ name: 'pages-only', url: rx.hook.url('/p'), events: ['escalated'] }] });
    await once((rep) => notifyResolved(d, rep), sampleReport());
    assert.equal(rx.hook.requests.length, 0);
    await once((p) => pageHumans(d, p), samplePage());
    assert.deepEqual(rx.hook.requests.map((r) => [r.path, r.headers['x-zerotouch-signature']]), [['/p', undefined]]);
  });

  test('PagerDuty not configured: the page is logged and the result says so', async () => {
    const r = delivered(await once((p) => pageHumans(deps({ pagerduty: undefined, webhooks: [] }), p), samplePage()));
    assert.deepEqual(r.deliveries, []);
    assert.deepEqual(r.notSent, ['pagerduty: not configured, the page was only logged']);
    assert.ok(logLines.some((l) => l.level === 40 && String(l.msg).startsWith('PAGE INC-20250101-0badc0de localize-api: recovery failed twice')));
    assert.equal(rx.pagerduty.requests.length, 0);
  });

  test('nothing configured: every activity completes and sends nothing', async () => {
    const d = { ...deps(), config: parseConfig({}) };
    assert.deepEqual(delivered(await once((rep) => notifyResolved(d, rep), sampleReport())).notSent, ['slack: not configured']);
    assert.deepEqual(delivered(await once((req) => resolvePage(d, req), { incidentId: 'INC-1', workflowId: 'w', service: 's', operator: 'bob' })).notSent, ['pagerduty: not configured']);
    assert.equal(rx.slack.requests.length + rx.pagerduty.requests.length + rx.hook.requests.length, 0);
  });

  test('called outside an activity (no context): one attempt, a link without a run id', async () => {
    const r = await pageHumans(deps({ webhooks: [] }), samplePage());
    assert.equal(r?.deliveries[0]?.attempt, 1);
    assert.match(rx.pagerduty.bodies()[0].client_url, /\/workflows\?query=WorkflowId%3D%22incident-localize-api\.availability%22$/);
  });
});
