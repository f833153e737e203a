// PagerDuty Events API v2: the trigger on escalation and the resolve, sharing the incident ID as dedup_key.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pagerDutyResolve, pagerDutySeverity, pagerDutyTrigger, SUMMARY_MAX } from '../../notify/pagerduty';
import { samplePage } from '../helpers/receivers';

const opts = { publicUrl: 'http://localhost:8233', namespace: 'default', routingKey: 'R0UT1NGKEY0123456789abcdefABCDEF', source: 'web-1', now: new Date('2025-01-01T10:00:00Z') };

describe('PagerDuty events', () => {
  test('trigger: the v2 shape, dedup_key = incident ID, links to the run', () => {
    const page = samplePage({ runId: 'run-1', class: 'process-crash', severity: 'high', confidence: 0.9, signatureId: 'crash-loop' });
    assert.deepEqual(pagerDutyTrigger(page, opts), {
      routing_key: opts.routingKey,
      event_action: 'trigger',
      dedup_key: 'INC-20250101-0badc0de',
      payload: {
        summary: 'INC-20250101-0badc0de localize-api: recovery failed twice (2 failed attempts)',
        source: 'web-1',
        severity: 'critical',
        timestamp: '2025-01-01T10:00:00.000Z',
        component: 'localize-api',
        group: 'localize-api',
        class: 'process-crash',
        custom_details: {
          incident_id: 'INC-20250101-0badc0de',
          workflow_id: 'incident-localize-api.availability',
          run_id: 'run-1',
          reason: 'recovery failed twice (2 failed attempts)',
          details: page.details,
          severity: 'high',
          confidence: 0.9,
          signature: 'crash-loop',
          automation: 'frozen: no further automatic action until a human resolves, releases or reverts',
        },
      },
      client: 'zero-touch',
      client_url: 'http://localhost:8233/namespaces/default/workflows/incident-localize-api.availability/run-1',
      links: [{ href: 'http://localhost:8233/namespaces/default/workflows/incident-localize-api.availability/run-1', text: 'Temporal Web UI: incident-localize-api.availability' }],
    });
  });

  test('a plain PageRequest is enough: unclassified, error severity, a link to the workflow', () => {
    const e = pagerDutyTrigger(samplePage(), opts);
    assert.equal(e.payload.class, 'unclassified');
    assert.equal(e.payload.severity, 'error');
    assert.equal(e.payload.custom_details.confidence, null);
    assert.match(e.links[0]!.href, /\/workflows\?query=WorkflowId%3D%22incident-localize-api\.availability%22$/);
  });

  test('severity: high → critical, medium → error, low → warning, unknown → error', () => {
    assert.deepEqual(['high', 'medium', 'low', null, undefined].map((s) => pagerDutySeverity(s as any)), ['critical', 'error', 'warning', 'error', 'error']);
  });

  test('summary at most 1024 characters', () => {
    const e = pagerDutyTrigger(samplePage({ reason: 'r'.repeat(5000) }), opts);
    assert.equal(e.payload.summary.length, SUMMARY_MAX);
    assert.ok(e.payload.summary.startsWith('INC-20250101-0badc0de localize-api: rrr'));
    assert.ok(e.payload.summary.endsWith('…'));
  });

  test('resolve: routing key, action and the same dedup_key, nothing else', () => {
    const trigger = pagerDutyTrigger(samplePage(), opts);
    const resolve = pagerDutyResolve({ incidentId: 'INC-20250101-0badc0de', workflowId: 'w', service: 'localize-api', operator: 'alice', reason: 'fixed the config' }, opts);
    assert.deepEqual(resolve, { routing_key: opts.routingKey, event_action: 'resolve', dedup_key: trigger.dedup_key });
  });
});
