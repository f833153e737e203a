// `zt incidents`: the visibility query it sends and the contract row it makes of each record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypedSearchAttributes } from '@temporalio/common';
import { incidentIdOf, incidentRowFrom, incidentsQuery, incidentsTable, newestFirst, type IncidentExecution } from '../../cli/incident-rows';
import { CliError } from '../../cli/errors';
import { incidentIdFor } from '../../signals/incident';
import { IncidentClass, IncidentConfidence, IncidentOutcome, IncidentPhase, IncidentService, IncidentSeverity } from '../../signals/search-attributes';

const FIRST_RUN = '0f1e2d3c-aaaa-4bbb-8ccc-123456789abc';
const LATER_RUN = '99999999-aaaa-4bbb-8ccc-123456789abc';
const STARTED = new Date('2025-03-04T05:06:07.123Z');

function visibilityRecord(attrs: ConstructorParameters<typeof TypedSearchAttributes>[0], firstRunId: string | null = FIRST_RUN): IncidentExecution {
  return {
    workflowId: 'incident-localize-api.availability',
    runId: LATER_RUN,
    startTime: STARTED,
    typedSearchAttributes: new TypedSearchAttributes(attrs),
    raw: { firstRunId },
  };
}

const CONTRACT_KEYS = ['incidentId', 'workflowId', 'service', 'class', 'severity', 'phase', 'outcome', 'startedAt', 'ttrSeconds'];

test('a closed incident maps to exactly the contract fields, values from its search attributes and report', () => {
  const row = incidentRowFrom(
    visibilityRecord([
      { key: IncidentService, value: 'localize-api' },
      { key: IncidentClass, value: 'deadlock' },
      { key: IncidentSeverity, value: 'low' },
      { key: IncidentPhase, value: 'closed' },
      { key: IncidentOutcome, value: 'auto-resolved' },
      { key: IncidentConfidence, value: 0.9 },
    ]),
    12.5,
  );
  assert.deepEqual(Object.keys(row), CONTRACT_KEYS);
  assert.deepEqual(row, {
    incidentId: incidentIdFor(FIRST_RUN, STARTED),
    workflowId: 'incident-localize-api.availability',
    service: 'localize-api',
    class: 'deadlock',
    severity: 'low',
    phase: 'closed',
    outcome: 'auto-resolved',
    startedAt: '2025-03-04T05:06:07.123Z',
    ttrSeconds: 12.5,
  });
});

test('attributes an incident has not reached yet are null', () => {
  const row = incidentRowFrom(visibilityRecord([{ key: IncidentService, value: 'api' }, { key: IncidentPhase, value: 'diagnosing' }]), null);
  assert.equal(row.service, 'api');
  assert.equal(row.phase, 'diagnosing');
  assert.equal(row.class, null);
  assert.equal(row.severity, null);
  assert.equal(row.outcome, null);
  assert.equal(row.ttrSeconds, null);
});

test('the incident ID comes from the first run, or the run itself when the server does not say', () => {
  assert.equal(incidentIdOf(visibilityRecord([])), 'INC-20250304-0f1e2d3c');
  assert.equal(incidentIdOf(visibilityRecord([], '')), 'INC-20250304-99999999');
  assert.equal(incidentIdOf(visibilityRecord([], null)), 'INC-20250304-99999999');
});

test('the query selects incident workflows, then open/closed and service', () => {
  assert.equal(incidentsQuery({}), "WorkflowType = 'incidentWorkflow'");
  assert.equal(incidentsQuery({ state: 'open' }), "WorkflowType = 'incidentWorkflow' AND ExecutionStatus = 'Running'");
  assert.equal(
    incidentsQuery({ state: 'closed', service: 'localize-api' }),
    "WorkflowType = 'incidentWorkflow' AND ExecutionStatus != 'Running' AND IncidentService = 'localize-api'",
  );
});

test('a service filter that is not a service name never reaches the query', () => {
  assert.throws(() => incidentsQuery({ service: "x' OR WorkflowType != 'y" }), (err: unknown) => err instanceof CliError && /--service/.test(err.message));
});

test('rows sort newest first and render as an aligned table', () => {
  const older = incidentRowFrom(visibilityRecord([{ key: IncidentService, value: 'api' }]), 3);
  const newer = { ...older, incidentId: 'INC-20250305-abcdef01', startedAt: '2025-03-05T00:00:00.000Z', ttrSeconds: null };
  const rows = [older, newer].sort(newestFirst);
  assert.deepEqual(rows.map((r) => r.incidentId), ['INC-20250305-abcdef01', 'INC-20250304-0f1e2d3c']);
  const lines = incidentsTable(rows).split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0] ?? '', /^INCIDENT\s+SERVICE\s+CLASS\s+SEVERITY\s+PHASE\s+OUTCOME\s+STARTED\s+TTR\s+WORKFLOW$/);
  assert.match(lines[2] ?? '', /^INC-20250304-0f1e2d3c\s+api\s+-\s+-\s+-\s+-\s+2025-03-04T05:06:07Z\s+3\.0s\s+incident-localize-api\.availability$/);
  // Every column starts at the same offset on every line.
  const workflowColumn = (lines[0] ?? '').indexOf('WORKFLOW');
  for (const line of lines.slice(1)) assert.equal(line.indexOf('incident-'), workflowColumn);
});
