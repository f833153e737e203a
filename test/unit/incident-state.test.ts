// The incident's state machine without Temporal: signals, holds and their precedence.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IncidentState } from '../../workflows/incident-state';
import type { Alert } from '../../signals/alert';

const alert: Alert = {
  source: 'sentinel',
  service: 'localize-api',
  name: 'InstanceHealthTimeout',
  status: 'firing',
  instance: 1,
  summary: 'timed out',
  labels: {},
  annotations: {},
  risk: [],
  startsAt: '2026-01-01T10:00:00.000Z',
  fingerprint: 'fp-1',
  count: 1,
};

const fresh = () =>
  new IncidentState({ key: 'localize-api.availability', service: 'localize-api', alert }, 'INC-1', 'incident-localize-api.availability', 'run-1', '2026-01-01T10:00:01.000Z');

describe('IncidentState', () => {
  test('no hold at the start; humans and escalation win in a fixed order', () => {
    const s = fresh();
    assert.equal(s.hold(), null);
    s.receiveHuman('pause', { operator: 'alice' });
    assert.equal(s.hold(), 'paused');
    s.receiveHuman('takeOver', { operator: 'bob' });
    assert.equal(s.hold(), 'human-control');
    s.escalate('recovery failed 2 times');
    assert.equal(s.hold(), 'escalated');
    s.receiveHuman('revert', { operator: 'bob' });
    assert.equal(s.hold(), 'reverting');
    s.revertsDone = s.revertsRequested;
    s.receiveHuman('resolve', { operator: 'bob', rootCause: 'bad config' });
    assert.equal(s.hold(), 'closed');
    assert.equal(s.outcome, 'resolved-by-human');
    assert.deepEqual(s.resolution, { operator: 'bob', rootCause: 'bad config' });
  });

  test('release after escalation unfreezes and restarts the attempt budget', () => {
    const s = fresh();
    s.failedAttempts = 2;
    s.rounds = 11;
    s.escalate('recovery failed 2 times');
    s.receiveHuman('release', { operator: 'carol', reason: 'fixed the disk' });
    assert.equal(s.frozen, false);
    assert.equal(s.failedAttempts, 0);
    assert.equal(s.rounds, 0);
    assert.equal(s.hold(), null);
  });

  test('invalid signals are recorded and ignored, never half-applied', () => {
    const s = fresh();
    for (const bad of [undefined, null, 'alice', {}, { operator: '' }, { operator: 42 }, { operator: '   ' }]) {
      s.receiveHuman('takeOver', bad);
    }
    assert.equal(s.controller, null);
    assert.equal(s.humans.length, 0);
    const rejected = s.timeline.filter((e) => e.kind === 'signal-rejected');
    assert.equal(rejected.length, 7);
    assert.match(rejected[0]!.summary, /takeOver: payload: /);
    assert.match(rejected[4]!.summary, /operator/);
  });

  test('operator allowlist: signals from anyone else are recorded and ignored', () => {
    const s = new IncidentState(
      { key: 'localize-api.availability', service: 'localize-api', alert, operators: ['alice'] },
      'INC-1',
      'incident-localize-api.availability',
      'run-1',
      '2026-01-01T10:00:01.000Z',
    );
    s.receiveHuman('takeOver', { operator: 'mallory' });
    assert.equal(s.controller, null);
    assert.equal(s.humans.length, 0, 'an outsider is not counted among the humans involved');
    const ignored = s.timeline.at(-1)!;
    assert.equal(ignored.kind, 'signal-ignored');
    assert.equal(ignored.operator, 'mallory');
    assert.match(ignored.summary, /takeOver from mallory: not on the operator allowlist/);
    s.receiveHuman('takeOver', { operator: 'alice' });
    assert.equal(s.controller, 'alice');
  });

  test('no allowlist: anyone may operate', () => {
    const s = fresh();
    s.receiveHuman('pause', { operator: 'anyone' });
    assert.deepEqual(s.paused, { by: 'anyone' });
  });

  test('an approved excluded step is handed to the approver, who then holds the incident', () => {
    const s = fresh();
    s.requestApproval('schema-change', 'database schema changes are excluded from zero-touch');
    assert.equal(s.hold(), 'awaiting-approval');
    assert.match(s.timeline.at(-1)!.summary, /schema-change needs approval/);
    s.receiveHuman('approve', { operator: 'dana' });
    assert.equal(s.approval, 'approved');
    s.handOver('schema-change', 'approved');
    assert.equal(s.controller, 'dana');
    assert.equal(s.hold(), 'human-control');
    assert.equal(s.timeline.at(-1)!.kind, 'handed-over');
  });

  test('approve only answers a pending approval', () => {
    const s = fresh();
    s.receiveHuman('approve', { operator: 'dan' });
    assert.equal(s.approval, null);
    assert.match(s.timeline.at(-1)!.summary, /nothing awaits approval/);
    s.requestApproval('pm2-restart', 'medium severity follow-up');
    assert.equal(s.hold(), 'awaiting-approval');
    s.receiveHuman('reject', { operator: 'dan' });
    assert.equal(s.approval, 'rejected');
    assert.equal(s.hold(), null);
  });

  test('alerts: duplicates are counted, not each written to the timeline; risk and instances are collected', () => {
    const s = fresh();
    for (let i = 0; i < 5; i++) s.receiveAlert(alert);
    s.receiveAlert({ ...alert, fingerprint: 'fp-2', instance: 0, risk: ['billing'] });
    s.receiveAlert({ ...alert, status: 'resolved' });
    s.receiveAlert({ not: 'an alert' });
    const st = s.status();
    assert.equal(st.alerts.received, 7);
    assert.equal(st.alerts.firing, 1);
    assert.equal(st.alerts.resolved, 1);
    assert.deepEqual(s.alertFacts().risk, ['billing']);
    assert.deepEqual(s.alertFacts().instances.sort(), [0, 1]);
    assert.equal(s.timeline.filter((e) => e.kind === 'alert').length, 2);
    assert.equal(s.timeline.filter((e) => e.kind === 'signal-rejected').length, 1);
  });

  test('the start alert (the input\'s own copy) is counted as it is; any other alert signal is still validated', () => {
    const s = fresh();
    s.receiveAlert(structuredClone(alert));
    // Not the start alert: zod applies the defaults of the missing fields, and refuses a bad one.
    s.receiveAlert({ source: 'generic', service: 'localize-api', name: 'HighErrorRate', status: 'firing', startsAt: 'now', fingerprint: 'fp-3' });
    s.receiveAlert({ ...alert, count: 0 });
    const st = s.status();
    assert.equal(st.alerts.received, 2);
    assert.deepEqual(s.alertFacts().names.sort(), ['HighErrorRate', 'InstanceHealthTimeout']);
    const rejected = s.timeline.filter((e) => e.kind === 'signal-rejected');
    assert.equal(rejected.length, 1);
    assert.match(rejected[0]!.summary, /count/);
  });

  test('the report measures time to recovery from the alert start', () => {
    const s = fresh();
    s.close('auto-resolved', 'done');
    const r = s.report();
    assert.equal(r.detectedAt, '2026-01-01T10:00:00.000Z');
    assert.ok(r.ttrSeconds > 0);
    assert.equal(r.outcome, 'auto-resolved');
  });
});
