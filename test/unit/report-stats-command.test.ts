// `zt report`'s flags and words, `zt incidents --source ledger`'s row and `zt show`'s ledger text: the
// pure parts of the commands, without a database (test/integration/cli-report.test.ts runs them whole).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CommanderError, InvalidArgumentError, type Command } from 'commander';
import { incidentRowFromReport } from '../../cli/incidents-command';
import { CliError } from '../../cli/errors';
import { buildProgram } from '../../cli/program';
import { parseIncidentClass, parseWhen, reportText, scopeText } from '../../cli/report-command';
import { ledgerReportText } from '../../cli/show-command';
import { successReport } from '../../reporting/success-metrics';
import type { IncidentReport } from '../../signals/incident';

const NOW = Date.parse('2026-03-10T12:00:00.000Z');

describe('--since / --until', () => {
  const valid: Array<[string, string]> = [
    ['7d', '2026-03-03T12:00:00.000Z'],
    ['12h', '2026-03-10T00:00:00.000Z'],
    ['1h30m', '2026-03-10T10:30:00.000Z'],
    ['2026-03-01', '2026-03-01T00:00:00.000Z'],
    ['2026-03-01T08:30:00Z', '2026-03-01T08:30:00.000Z'],
    ['2026-03-01T08:30:00.250+02:00', '2026-03-01T06:30:00.250Z'],
    [' 2d ', '2026-03-08T12:00:00.000Z'],
  ];
  for (const [text, iso] of valid) {
    test(`"${text}" → ${iso}`, () => assert.equal(parseWhen(text, NOW).toISOString(), iso));
  }
  // A time without a zone would silently mean the reader's local time; a bare number has no unit.
  for (const text of ['yesterday', '', '7', '2026-03-01T08:30:00', '2026-13-01', '2026-02-30T00:00:00Z', '-1d', '0s']) {
    test(`"${text}" is refused, naming both forms`, () => {
      assert.throws(() => parseWhen(text, NOW), (err: unknown) => err instanceof InvalidArgumentError && /neither a duration ago .* nor an ISO 8601 time/.test(err.message));
    });
  }
});

test('--class must be an incident class, and the message names the flag', () => {
  assert.equal(parseIncidentClass('deadlock'), 'deadlock');
  assert.throws(() => parseIncidentClass('Deadlock'), (err: unknown) => err instanceof CliError && err.exitCode === 2 && /^--class "Deadlock" is not an incident class \(one of process-crash, /.test(err.message));
});

describe('the report command in the tree', () => {
  function quiet(program: Command): Command {
    for (const command of [program, ...program.commands]) command.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    return program;
  }

  test('zt report has its flags; --by takes only class, service, day or week', async () => {
    const report = buildProgram().commands.find((c) => c.name() === 'report');
    assert.ok(report);
    assert.deepEqual(report.options.map((o) => o.long).sort(), ['--by', '--class', '--json', '--service', '--since', '--until']);
    await assert.rejects(quiet(buildProgram()).parseAsync(['report', '--by', 'month'], { from: 'user' }), (err: unknown) => err instanceof CommanderError && err.code === 'commander.invalidArgument');
    await assert.rejects(quiet(buildProgram()).parseAsync(['report', '--since', 'last week'], { from: 'user' }), (err: unknown) => err instanceof CommanderError && /--since <when>/.test(err.message));
  });

  test('zt incidents --source takes temporal (the default) or ledger', async () => {
    const incidents = buildProgram().commands.find((c) => c.name() === 'incidents');
    assert.equal(incidents?.options.find((o) => o.long === '--source')?.defaultValue, 'temporal');
    await assert.rejects(quiet(buildProgram()).parseAsync(['incidents', '--source', 'files'], { from: 'user' }), CommanderError);
  });
});

function fullReport(over: Partial<IncidentReport> = {}): IncidentReport {
  return {
    incidentId: 'INC-20260302-0a1b2c3d',
    workflowId: 'incident-api.availability',
    runId: '0a1b2c3d-1111-4222-8333-444455556666',
    key: 'api.availability',
    service: 'api',
    class: 'deadlock',
    signatureId: 'deadlock-event-loop',
    severity: 'low',
    confidence: 0.9,
    outcome: 'auto-resolved',
    reasons: ['instance 1 times out while PM2 says online.'],
    actions: [
      {
        action: 'pm2-restart',
        attempt: 1,
        idempotencyKey: 'k',
        pmIds: [1],
        startedAt: '2026-03-02T10:00:05.000Z',
        endedAt: '2026-03-02T10:00:07.000Z',
        performed: true,
        error: null,
        summary: 'pm2-restart pm_id 1',
        undo: { kind: 'none', why: 'a restart has nothing to undo' },
        verified: true,
        verification: 'healthy for 3 s',
        undone: false,
      },
    ],
    failedAttempts: 0,
    escalation: null,
    humans: [{ operator: 'alice', signal: 'pause', at: '2026-03-02T10:00:03.000Z', reason: 'looking' }],
    alertsReceived: 3,
    detectedAt: '2026-03-02T09:59:58.000Z',
    startedAt: '2026-03-02T10:00:00.000Z',
    endedAt: '2026-03-02T10:00:12.000Z',
    ttrSeconds: 14,
    timeToDetectSeconds: 2,
    timeToMitigateSeconds: 9,
    impact: { failedRequests: 120, totalRequests: 2400, errorRatio: 0.05, affectedUsers: 14, durationSeconds: 14, requestsPerUserPerMinute: 6, basis: 'instance 1 not answering.' },
    temporal: { namespace: 'default', workflowId: 'incident-api.availability', runId: '0a1b2c3d-1111-4222-8333-444455556666', webUiUrl: 'http://ui.example/namespaces/default/workflows/incident-api.availability/0a1b2c3d' },
    proposedSignature: null,
    resolution: null,
    ...over,
  };
}

test('a ledger report becomes the contract row of zt incidents --json, phase closed', () => {
  const row = incidentRowFromReport({ key: 'INC-20260302-0a1b2c3d', report: fullReport() });
  assert.deepEqual(row, {
    incidentId: 'INC-20260302-0a1b2c3d',
    workflowId: 'incident-api.availability',
    service: 'api',
    class: 'deadlock',
    severity: 'low',
    phase: 'closed',
    outcome: 'auto-resolved',
    startedAt: '2026-03-02T10:00:00.000Z',
    ttrSeconds: 14,
  });
  assert.deepEqual(Object.keys(row), ['incidentId', 'workflowId', 'service', 'class', 'severity', 'phase', 'outcome', 'startedAt', 'ttrSeconds']);
});

test('zt show from the ledger prints the timings, impact, human acts, Temporal ids, Web UI link and proposed signature', () => {
  const text = ledgerReportText({
    seq: 17,
    recordedAt: '2026-03-02T10:00:13.000Z',
    key: 'INC-20260302-0a1b2c3d',
    hash: 'ab'.repeat(32),
    report: fullReport({ proposedSignature: { file: '.zt/proposed-signatures/x.json', signatureId: 'proposed-deadlock', summary: 'restart on event-loop stall' } }),
  });
  for (const expected of [
    /^from the audit ledger: Temporal does not have incident-api\.availability run 0a1b2c3d-/,
    /outcome +auto-resolved/,
    /detect +2\.0s after the first sign/,
    /mitigate +9\.0s after the first sign/,
    /impact +120 of 2,400 requests failed \(5\.0%\), about 14 users affected over 14\.0s/,
    /human acts +alice pause at 2026-03-02T10:00:03Z \(looking\)/,
    /proposed +restart on event-loop stall; signature proposed-deadlock; draft \.zt\/proposed-signatures\/x\.json/,
    /temporal +namespace default, workflow incident-api\.availability, run 0a1b2c3d-1111-4222-8333-444455556666/,
    /web ui +http:\/\/ui\.example\/namespaces\/default\/workflows\/incident-api\.availability\/0a1b2c3d/,
    /ledger +seq 17, recorded 2026-03-02T10:00:13Z, hash abababababababab…/,
  ]) {
    assert.match(text, expected);
  }
  const bare = ledgerReportText({ seq: 1, recordedAt: '2026-03-02T10:00:13.000Z', key: 'k', hash: 'c'.repeat(64), report: fullReport({ timeToMitigateSeconds: null, impact: null, temporal: undefined }) });
  assert.match(bare, /mitigate +no action changed anything/);
  assert.match(bare, /impact +not measured/);
  assert.doesNotMatch(bare, /web ui|temporal +namespace/);
});

describe('report text', () => {
  test('the scope in words', () => {
    assert.equal(scopeText({ since: null, until: null, service: null, class: null }), 'recorded');
    assert.equal(scopeText({ since: '2026-03-01T00:00:00.000Z', until: null, service: 'api', class: null }), 'started since 2026-03-01T00:00:00Z (service api)');
    assert.equal(
      scopeText({ since: '2026-03-01T00:00:00.000Z', until: '2026-03-02T00:00:00.000Z', service: 'api', class: 'deadlock' }),
      'started from 2026-03-01T00:00:00Z until 2026-03-02T00:00:00Z (service api, class deadlock)',
    );
  });

  test('no incidents: one friendly line', () => {
    assert.equal(reportText(successReport([])), 'no incidents recorded yet');
    assert.equal(reportText(successReport([fullReport()], { since: new Date('2027-01-01T00:00:00Z') })), 'no incidents started since 2027-01-01T00:00:00Z');
  });

  test('the overall block, and a table per group', () => {
    const reports = [
      fullReport(),
      fullReport({ class: 'memory-leak', outcome: 'resolved-by-human', escalation: { reason: 'x', at: '2026-03-02T11:00:00.000Z' }, ttrSeconds: 600, timeToMitigateSeconds: null, impact: null }),
    ];
    const text = reportText(successReport(reports, { by: 'class' }));
    assert.match(text, /^Success metrics: 2 incidents recorded, first 2026-03-02T10:00:00Z, last 2026-03-02T10:00:00Z\n\n/);
    assert.match(text, /resolved automatically +1 of 2 \(50\.0%\): 1 auto-resolved, 0 recovered without action; 1 resolved by a human/);
    assert.match(text, /recovery time +p50 14\.0s, p95 10m00s \(all 2\); p50 14\.0s, p95 14\.0s \(1 resolved automatically\)/);
    assert.match(text, /pages per 100 incidents +50\.0 \(1 paged\)/);
    assert.match(text, /alerts per incident +3\.0 \(6 alerts\)/);
    assert.match(text, /time to mitigate +mean 9\.0s \(1 where an action changed something\)/);
    assert.match(text, /user impact +120 failed requests, 14 affected users \(1 measured\)/);
    assert.match(text, /\n\nBy class\nCLASS +INCIDENTS +AUTO +TTR P50 +TTR P95 +AUTO P50 +AUTO P95 +PAGES\/100 +ALERTS\/INC +MTTD +MTTM +FAILED REQS +USERS\n/);
    assert.match(text, /\ndeadlock +1 +100\.0% +14\.0s +14\.0s +14\.0s +14\.0s +0\.0 +3\.0 +2\.0s +9\.0s +120 +14\n/);
    assert.match(text, /\nmemory-leak +1 +0\.0% +10m00s +10m00s +- +- +100\.0 +3\.0 +2\.0s +- +- +-$/);
  });
});
