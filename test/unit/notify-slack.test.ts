// The Slack message for a self-resolved incident: text for notifications, blocks for people, links to
// the timeline, and Slack's limits respected.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { actionLine, escapeMrkdwn, slackResolvedMessage, type SlackBlock } from '../../notify/slack';
import { formatTtr, workflowUiUrl } from '../../notify/links';
import { sampleReport } from '../helpers/receivers';

const links = { publicUrl: 'https://temporal.example.com', namespace: 'default' };
const textOf = (blocks: SlackBlock[]) => JSON.stringify(blocks);

describe('Slack message', () => {
  test('text and blocks: service, class, outcome, actions with results, TTR, incident and workflow ids, Web UI link', () => {
    const r = sampleReport();
    const m = slackResolvedMessage(r, links);
    assert.match(m.text, /localize-api deadlock, resolved automatically in 8\.2 s \(INC-20250101-abcdef12, incident-localize-api\.availability\)/);
    assert.deepEqual(m.blocks[0], { type: 'header', text: { type: 'plain_text', text: 'Resolved: localize-api — deadlock' } });
    const fields = (m.blocks[1] as Extract<SlackBlock, { type: 'section' }>).fields!.map((f) => f.text);
    assert.deepEqual(fields, [
      '*Service*\nlocalize-api',
      '*Class*\ndeadlock',
      '*Outcome*\nauto-resolved (resolved automatically)',
      '*Time to recovery*\n8.2 s',
      '*Severity*\nlow',
      '*Confidence*\n0.92',
      '*Incident*\nINC-20250101-abcdef12',
      '*Temporal workflow*\n`incident-localize-api.availability`',
    ]);
    assert.equal((m.blocks[2] as any).text.text, '*Actions*\n• pm2-restart (attempt 1) on pm_id 1: verified — restarted pm_id 1');
    assert.match((m.blocks[3] as any).text.text, /^\*Why\*\n• instance 1 times out/);
    const url = 'https://temporal.example.com/namespaces/default/workflows/incident-localize-api.availability/0192f3a4-0000-7000-8000-000000000001';
    assert.match((m.blocks.at(-1) as any).elements[0].text, new RegExp(`^<${url.replace(/[.?]/g, '\\$&')}\\|Timeline in the Temporal Web UI> · 2 alert\\(s\\) · no one was paged$`));
    assert.equal(m.channel, undefined);
    assert.equal(m.username, undefined);
  });

  test('recovered without action says so; channel and username are passed through', () => {
    const m = slackResolvedMessage(sampleReport({ outcome: 'recovered-without-action', actions: [], class: null, confidence: null }), { ...links, channel: '#ops', username: 'zt' });
    assert.match(m.text, /localize-api unclassified, recovered without any action/);
    assert.match(textOf(m.blocks), /None: the service recovered on its own/);
    assert.match(textOf(m.blocks), /\*Confidence\*\\nn\/a/);
    assert.equal(m.channel, '#ops');
    assert.equal(m.username, 'zt');
  });

  test('an incident that escalated before it recovered does not claim no one was paged', () => {
    const m = slackResolvedMessage(sampleReport({ escalation: { reason: 'confidence 0.5 below 0.7', at: '2025-01-01T10:00:03.000Z' } }), links);
    assert.match(m.text, /^Resolved after an escalation: /);
    assert.match((m.blocks.at(-1) as any).elements[0].text, /· escalated earlier: confidence 0\.5 below 0\.7$/);
  });

  test('every action result in words', () => {
    const base = sampleReport().actions[0]!;
    assert.match(actionLine({ ...base, verified: false }), /: not verified/);
    assert.match(actionLine({ ...base, verified: true, undone: true }), /: verified, since undone/);
    assert.match(actionLine({ ...base, performed: false, error: 'pm2 timed out' }), /: failed: pm2 timed out/);
    assert.match(actionLine({ ...base, performed: false, error: 'blast radius', refused: true }), /: refused: blast radius/);
    assert.match(actionLine({ ...base, pmIds: [], verified: null }), /^pm2-restart \(attempt 1\): performed, not verified/);
  });

  test('what people wrote is escaped, and long content stays within Slack limits', () => {
    assert.equal(escapeMrkdwn('a <b> & <!channel>'), 'a &lt;b&gt; &amp; &lt;!channel&gt;');
    const long = 'x'.repeat(500);
    const action = { ...sampleReport().actions[0]!, summary: `<@U123> ${long}` };
    const m = slackResolvedMessage(sampleReport({ actions: Array.from({ length: 40 }, (_, i) => ({ ...action, attempt: i + 1 })), reasons: Array.from({ length: 9 }, (_, i) => `reason ${i}`) }), links);
    const actions = (m.blocks[2] as any).text.text as string;
    assert.ok(actions.length <= 3000, `actions section ${actions.length} chars`);
    assert.match(actions, /…and \d+ more in the timeline$/);
    assert.ok(!actions.includes('<@U123>'), 'no mention gets through');
    const why = (m.blocks[3] as any).text.text as string;
    assert.equal(why.split('\n').length, 1 + 5 + 1, 'five reasons and a count of the rest');
    assert.match(why, /…4 more$/);
    assert.ok(m.blocks.length <= 50);
  });

  test('links and durations', () => {
    assert.equal(workflowUiUrl(links, 'incident-a.b', 'run-1'), 'https://temporal.example.com/namespaces/default/workflows/incident-a.b/run-1');
    assert.equal(workflowUiUrl(links, 'incident-a.b'), 'https://temporal.example.com/namespaces/default/workflows?query=WorkflowId%3D%22incident-a.b%22');
    assert.equal(formatTtr(8.24), '8.2 s');
    assert.equal(formatTtr(119.6), '2 min');
    assert.equal(formatTtr(75), '1 min 15 s');
  });
});
