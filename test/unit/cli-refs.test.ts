// How `zt show`/signal commands turn what an operator types into a workflow execution.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { incidentIdSearchQuery, parseRef } from '../../cli/refs';
import { CliError } from '../../cli/errors';
import { incidentIdFor } from '../../signals/incident';

test('a workflow id is used as is', () => {
  assert.deepEqual(parseRef('incident-localize-api.availability'), { kind: 'workflow', workflowId: 'incident-localize-api.availability' });
});

test('an incident key becomes incident-<key>', () => {
  assert.deepEqual(parseRef('localize-api.availability'), { kind: 'workflow', workflowId: 'incident-localize-api.availability' });
  assert.deepEqual(parseRef('  api.crash  '), { kind: 'workflow', workflowId: 'incident-api.crash' });
});

test('an incident ID is recognised and normalised to the form incidentIdFor produces', () => {
  const id = incidentIdFor('1A2B3C4D-0000-4000-8000-000000000000'.toLowerCase(), new Date('2025-03-04T05:06:07Z'));
  assert.equal(id, 'INC-20250304-1a2b3c4d');
  assert.deepEqual(parseRef(id), { kind: 'incident-id', incidentId: id });
  assert.deepEqual(parseRef('INC-20250304-1A2B3C4D'), { kind: 'incident-id', incidentId: id });
});

test('a lower-case inc- prefix is a service key, not an incident ID', () => {
  assert.deepEqual(parseRef('inc-billing.crash'), { kind: 'workflow', workflowId: 'incident-inc-billing.crash' });
});

test('a malformed incident ID and an empty ref are refused with exit code 2', () => {
  for (const bad of ['INC-2025', 'INC-20250304-xyz', '   ']) {
    assert.throws(
      () => parseRef(bad),
      (err: unknown) => err instanceof CliError && err.exitCode === 2,
      bad,
    );
  }
  assert.throws(() => parseRef('INC-2025'), /expected INC-YYYYMMDD-xxxxxxxx/);
});

test('an incident ID is searched among incidents started on its day, with a margin', () => {
  assert.equal(
    incidentIdSearchQuery('INC-20250304-1a2b3c4d'),
    "WorkflowType = 'incidentWorkflow' AND StartTime >= '2025-03-03T23:00:00.000Z' AND StartTime < '2025-03-05T01:00:00.000Z'",
  );
});
