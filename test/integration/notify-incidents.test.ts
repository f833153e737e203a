// Notify, not wake, on the real system: local Slack and PagerDuty receivers stand in for the real ones.
// A hung demo instance healed by zero-touch sends exactly one chat notification and no page; a hung instance
// whose alert carries a billing risk label escalates, pages exactly once (Events API v2 trigger), and when a
// human resolves it the page is resolved with the same dedup_key — still no chat message.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { humanSignals, statusQuery } from '../../signals/contract';
import { awaitStatus, hangWithAlert, result } from '../helpers/incidents';
import { closeAll, startReceivers, type Receiver } from '../helpers/receivers';
import { eventually, startTestSystem, type TestSystem } from '../helpers/system';

const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';

describe('notifications and pages from real incidents', () => {
  let sys: TestSystem;
  let rx: Record<'slack' | 'pagerduty', Receiver>;

  before(async () => {
    rx = await startReceivers(['slack', 'pagerduty'], { pagerduty: { status: 202 } });
    sys = await startTestSystem({
      config: {
        notifiers: {
          slack: { webhookUrl: rx.slack.url('/services/T000/B000/XXXX') },
          pagerduty: { eventsUrl: rx.pagerduty.url('/v2/enqueue'), routingKey: ROUTING_KEY },
        },
      },
    });
  });
  after(async () => {
    await sys?.stop();
    await closeAll(rx ?? {});
  });

  test('a self-resolved incident: exactly one chat notification, no page', async () => {
    const handle = await hangWithAlert(sys, { fingerprint: `${sys.service}-hang-plain` });
    const report = await result(handle);
    assert.equal(report.outcome, 'auto-resolved', JSON.stringify(report.escalation));
    await eventually('the chat notification', async () => (rx.slack.requests.length > 0 ? true : undefined), 10_000);
    assert.equal(rx.slack.requests.length, 1, 'one message');
    assert.equal(rx.pagerduty.requests.length, 0, 'nobody paged');
    const text = JSON.stringify(rx.slack.bodies()[0]);
    assert.match(text, new RegExp(report.incidentId));
    assert.match(text, new RegExp(sys.service));
  });

  test('an escalated incident: exactly one page, resolved with the same dedup_key when a human closes it', async () => {
    rx.slack.clear();
    rx.pagerduty.clear();
    const handle = await hangWithAlert(sys, { fingerprint: `${sys.service}-hang-billing`, risk: ['billing'] });
    await awaitStatus(handle, 'the escalation', (s) => s.phase === 'escalated', 40_000);
    await eventually('the page', async () => (rx.pagerduty.requests.length > 0 ? true : undefined), 10_000);
    const [trigger] = rx.pagerduty.bodies();
    assert.equal(trigger.event_action, 'trigger');
    assert.equal(trigger.routing_key, ROUTING_KEY);
    const incidentId = (await handle.query(statusQuery)).incidentId;
    assert.equal(trigger.dedup_key, incidentId);

    await handle.signal(humanSignals.resolve, { operator: 'oncall-amy', rootCause: 'billing provider timeout', fix: 'restarted by hand' });
    const report = await result(handle);
    assert.equal(report.outcome, 'resolved-by-human');
    // The report goes out from the child workflow the incident hands it to, after the incident has closed.
    await eventually('the resolve', async () => (rx.pagerduty.requests.length > 1 ? true : undefined), 10_000);
    const bodies = rx.pagerduty.bodies();
    assert.equal(bodies.length, 2, `one trigger and one resolve: ${bodies.map((b) => b.event_action).join(', ')}`);
    assert.equal(bodies[1].event_action, 'resolve');
    assert.equal(bodies[1].dedup_key, incidentId);
    assert.equal(rx.slack.requests.length, 0, 'a human-closed incident is not announced as self-healed');
  });
});
