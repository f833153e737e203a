// `zt show` text: what a human reads about an open incident and about a closed one's report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reportText, statusText, timelineText } from '../../cli/incident-text';
import type { IncidentReport, IncidentStatus } from '../../signals/incident';

const status: IncidentStatus = {
  incidentId: 'INC-20250304-0f1e2d3c',
  workflowId: 'incident-api.availability',
  key: 'api.availability',
  service: 'api',
  phase: 'escalated',
  class: 'deadlock',
  severity: 'low',
  confidence: 0.9,
  outcome: null,
  paused: true,
  pausedBy: 'bob',
  controller: 'alice',
  frozen: true,
  escalation: { reason: 'mandatory escalation: recovery failed 2 times', at: '2025-03-04T05:07:00.000Z' },
  pendingApproval: null,
  failedAttempts: 2,
  actions: [
    {
      action: 'pm2-restart', attempt: 1, idempotencyKey: 'k1', pmIds: [0], startedAt: '', endedAt: '', performed: true,
      error: null, summary: 'restarted', undo: { kind: 'none', why: 'nothing to undo' }, verified: false, verification: 'still hung', undone: false,
    },
  ],
  alerts: { received: 3, firing: 1, resolved: 0, lastName: 'InstanceHealthTimeout' },
  startedAt: '2025-03-04T05:06:07.123Z',
  detectedAt: '2025-03-04T05:06:00.000Z',
  updatedAt: '2025-03-04T05:07:00.000Z',
};

test('status text names who holds the incident and why it waits', () => {
  const text = statusText(status);
  assert.match(text, /^incident\s+INC-20250304-0f1e2d3c {2}\(incident-api\.availability\)$/m);
  assert.match(text, /^phase\s+escalated$/m);
  assert.match(text, /^class\s+deadlock \(severity low, confidence 0\.90\)$/m);
  assert.match(text, /^controller\s+alice$/m);
  assert.match(text, /^paused\s+yes, by bob$/m);
  assert.match(text, /^escalated\s+mandatory escalation: recovery failed 2 times \(at 2025-03-04T05:07:00Z\)$/m);
  assert.match(text, /^actions\s+#1 pm2-restart pm_id 0: verification failed$/m);
  assert.doesNotMatch(text, /^outcome/m, 'an open incident has no outcome line');
  assert.doesNotMatch(text, /^approval/m);
});

test('the timeline is a table of time, kind, operator and summary', () => {
  const text = timelineText([
    { at: '2025-03-04T05:06:07.123Z', kind: 'detected', summary: 'Detected by sentinel' },
    { at: '2025-03-04T05:06:09.000Z', kind: 'taken-over', summary: 'alice took control', operator: 'alice' },
  ]);
  assert.equal(
    text,
    [
      'AT                    WHAT        WHO    SUMMARY',
      '2025-03-04T05:06:07Z  detected    -      Detected by sentinel',
      '2025-03-04T05:06:09Z  taken-over  alice  alice took control',
    ].join('\n'),
  );
});

test('a report says how it ended, who resolved it and how long recovery took', () => {
  const report: IncidentReport = {
    incidentId: status.incidentId, workflowId: status.workflowId, runId: 'run-1', key: status.key, service: 'api',
    class: 'deadlock', signatureId: 'hang', severity: 'low', confidence: 0.9, outcome: 'resolved-by-human',
    reasons: ['Health probes time out.'], actions: [], failedAttempts: 0, escalation: null,
    humans: [{ operator: 'alice', signal: 'resolve', at: '' }], alertsReceived: 1,
    detectedAt: status.detectedAt, startedAt: status.startedAt, endedAt: '2025-03-04T05:08:00.000Z', ttrSeconds: 120,
    resolution: { operator: 'alice', rootCause: 'pool exhausted', fix: 'raised the pool' },
  };
  const text = reportText(report);
  assert.match(text, /^outcome\s+resolved-by-human$/m);
  assert.match(text, /^ttr\s+2m00s$/m);
  assert.match(text, /^resolution\s+by alice; root cause: pool exhausted; fix: raised the pool$/m);
  assert.match(text, /^humans\s+alice resolve$/m);
  assert.doesNotMatch(text, /^actions/m);
});
