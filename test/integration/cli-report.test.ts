// `zt report`, `zt incidents --source ledger` and `zt show`'s ledger fallback, run as an operator runs
// them (child processes, DATABASE_URL + ZT_LEDGER_SCHEMA) against the real PostgreSQL (127.0.0.1:5432,
// database test), in a schema of this run's own. A dozen incident reports over two days, recorded with
// the Ledger API as the workers record them (each when its incident ended), none of them known to
// Temporal: as if their histories were past retention.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { INCIDENT_REPORT_KIND, Ledger } from '../../ledger';
import type { SuccessReport } from '../../reporting/success-metrics';
import type { ActionRecord, IncidentOutcome, IncidentReport, UserImpact } from '../../signals/incident';
import type { IncidentClass } from '../../policy/types';
import { dropSchema, TEST_DATABASE_URL, testPostgres, uniqueSchema } from '../helpers/postgres';
import { runZt } from '../helpers/zt';

// Service names of this run's own, so no workflow on the shared Temporal server has their ids.
const RUN = randomBytes(3).toString('hex');
const API = `rpt-api-${RUN}`;
const WORKER = `rpt-worker-${RUN}`;

interface Spec {
  service: string;
  class: IncidentClass | null;
  outcome: IncidentOutcome;
  startedAt: string;
  ttr: number;
  alerts: number;
  paged?: boolean;
  /** Undefined: a report recorded by an older worker, without timings, impact or Temporal ids. */
  detect?: number;
  mitigate?: number | null;
  impact?: [failed: number, users: number] | null;
}

// Day 1: 6 incidents, day 2: 6. 7 auto-resolved, 1 recovered without action, 4 resolved by a human (3 paged).
const SPECS: Spec[] = [
  { service: API, class: 'deadlock', outcome: 'auto-resolved', startedAt: '2026-03-01T02:10:00.000Z', ttr: 14, alerts: 2, detect: 2, mitigate: 9, impact: [120, 14] },
  { service: API, class: 'process-crash', outcome: 'auto-resolved', startedAt: '2026-03-01T06:00:00.000Z', ttr: 8, alerts: 1, detect: 1, mitigate: 5, impact: [30, 4] },
  { service: WORKER, class: 'memory-leak', outcome: 'auto-resolved', startedAt: '2026-03-01T09:30:00.000Z', ttr: 45, alerts: 3, detect: 5, mitigate: 30, impact: [0, 0] },
  { service: API, class: 'deadlock', outcome: 'recovered-without-action', startedAt: '2026-03-01T12:00:00.000Z', ttr: 6, alerts: 1, detect: 2, mitigate: null, impact: [10, 2] },
  { service: WORKER, class: 'process-crash', outcome: 'resolved-by-human', startedAt: '2026-03-01T15:45:00.000Z', ttr: 900, alerts: 12, paged: true, detect: 3, mitigate: 20, impact: [5000, 300] },
  { service: API, class: 'bad-deploy', outcome: 'resolved-by-human', startedAt: '2026-03-01T21:00:00.000Z', ttr: 420, alerts: 4, paged: true, detect: 4, mitigate: null, impact: null },
  { service: API, class: 'deadlock', outcome: 'auto-resolved', startedAt: '2026-03-02T01:00:00.000Z', ttr: 12, alerts: 2, detect: 2, mitigate: 8, impact: [80, 10] },
  { service: WORKER, class: 'cpu-spike', outcome: 'auto-resolved', startedAt: '2026-03-02T04:20:00.000Z', ttr: 60, alerts: 5, detect: 10, mitigate: 40, impact: [0, 0] },
  { service: API, class: null, outcome: 'resolved-by-human', startedAt: '2026-03-02T08:00:00.000Z', ttr: 1200, alerts: 1, paged: true, detect: 1, mitigate: null, impact: null },
  { service: WORKER, class: 'memory-leak', outcome: 'auto-resolved', startedAt: '2026-03-02T11:00:00.000Z', ttr: 50, alerts: 2, detect: 6, mitigate: 35, impact: [0, 0] },
  { service: API, class: 'deadlock', outcome: 'auto-resolved', startedAt: '2026-03-02T14:00:00.000Z', ttr: 16, alerts: 2, detect: 2, mitigate: 10, impact: [150, 20] },
  { service: API, class: 'process-crash', outcome: 'resolved-by-human', startedAt: '2026-03-02T19:30:00.000Z', ttr: 300, alerts: 3 },
];

const at = (iso: string, plusSeconds: number) => new Date(Date.parse(iso) + plusSeconds * 1000).toISOString();

function reportOf(spec: Spec, i: number): IncidentReport {
  const hex = `${RUN}${i.toString(16).padStart(2, '0')}`;
  const runId = `${hex}-1111-4222-8333-444455556666`;
  const incidentId = `INC-${spec.startedAt.slice(0, 10).replace(/-/g, '')}-${hex}`;
  const group = spec.class === 'cpu-spike' || spec.class === 'memory-leak' ? 'resources' : spec.class === 'bad-deploy' ? 'deploy' : 'availability';
  const key = `${spec.service}.${group}`;
  const workflowId = `incident-${key}`;
  const firstSign = at(spec.startedAt, -(spec.detect ?? 2));
  const endedAt = at(firstSign, spec.ttr);
  const acted = spec.outcome === 'auto-resolved' || (spec.mitigate ?? null) !== null;
  const actions: ActionRecord[] = acted
    ? [
        {
          action: spec.class === 'memory-leak' || spec.class === 'deadlock' ? 'pm2-restart' : spec.class === 'cpu-spike' ? 'scale-up' : 'pm2-restart',
          attempt: 1,
          idempotencyKey: `${incidentId}/1`,
          pmIds: [1],
          startedAt: at(firstSign, (spec.mitigate ?? 4) - 3),
          endedAt: at(firstSign, spec.mitigate ?? 4),
          performed: true,
          error: null,
          summary: 'restarted pm_id 1',
          undo: { kind: 'none', why: 'a restart has nothing to undo' },
          verified: spec.outcome === 'auto-resolved',
          verification: spec.outcome === 'auto-resolved' ? 'healthy for 3 s' : 'still failing',
          undone: false,
        },
      ]
    : [];
  const paged = spec.paged ? { reason: spec.class === null ? 'confidence below 0.7' : 'two failed attempts', at: at(spec.startedAt, 30) } : null;
  const humans = spec.outcome === 'resolved-by-human' ? [{ operator: 'alice', signal: 'resolve', at: endedAt, reason: 'fixed by hand' }] : [];
  const impact = (pair: [number, number] | null): UserImpact | null =>
    pair && {
      failedRequests: pair[0],
      totalRequests: 10_000,
      errorRatio: pair[0] / 10_000,
      affectedUsers: pair[1],
      durationSeconds: spec.ttr,
      requestsPerUserPerMinute: 6,
      basis: 'both instances measured',
    };
  const measured =
    spec.detect === undefined
      ? {}
      : {
          timeToDetectSeconds: spec.detect,
          timeToMitigateSeconds: spec.mitigate ?? null,
          impact: impact(spec.impact ?? null),
          temporal: { namespace: 'default', workflowId, runId, webUiUrl: `http://127.0.0.1:8233/namespaces/default/workflows/${workflowId}/${runId}/history` },
          proposedSignature: spec.class === null ? { file: null, signatureId: null, summary: 'upstream TLS expiry: page, no automatic action' } : null,
        };
  return {
    incidentId,
    workflowId,
    runId,
    key,
    service: spec.service,
    class: spec.class,
    signatureId: spec.class ? `${spec.class}-default` : null,
    severity: spec.paged ? 'high' : 'low',
    confidence: spec.class ? 0.9 : 0.4,
    outcome: spec.outcome,
    reasons: ['evidence in words'],
    actions,
    failedAttempts: spec.paged && acted ? 2 : 0,
    escalation: paged,
    humans,
    alertsReceived: spec.alerts,
    detectedAt: firstSign,
    startedAt: spec.startedAt,
    endedAt,
    ttrSeconds: spec.ttr,
    ...measured,
    resolution: spec.outcome === 'resolved-by-human' ? { operator: 'alice', rootCause: 'by hand' } : null,
  };
}

const REPORTS = SPECS.map(reportOf);
const close = (actual: number | null | undefined, expected: number) => assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-9, `${actual} ≈ ${expected}`);

describe('zt report, zt incidents --source ledger and zt show from the ledger, on the real PostgreSQL', () => {
  let admin: Pool;
  let pool: Pool;
  const schema = uniqueSchema('zt_report');
  const env = { ...process.env, DATABASE_URL: TEST_DATABASE_URL, ZT_LEDGER_SCHEMA: schema };
  const zt = (...args: string[]) => runZt(args, env);
  const ztJson = async <T>(...args: string[]): Promise<T> => {
    const run = await zt(...args);
    assert.equal(run.code, 0, `zt ${args.join(' ')}: ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  };

  before(async () => {
    admin = await testPostgres();
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    let clock = new Date();
    const ledger = new Ledger(pool, { schema, autoMigrate: true, now: () => clock });
    // Recorded the way the workers record them: each report a second after its incident ended, in that order.
    for (const report of [...REPORTS].sort((a, b) => a.endedAt.localeCompare(b.endedAt))) {
      clock = new Date(Date.parse(report.endedAt) + 1000);
      const { created } = await ledger.append({ kind: INCIDENT_REPORT_KIND, key: report.incidentId, body: report as unknown as Record<string, unknown> });
      assert.equal(created, true);
    }
    // Other kinds in the same ledger are not incidents.
    await ledger.append({ kind: 'notification', key: `${REPORTS[0]!.incidentId}/resolved`, body: { channel: 'slack' } });
  });
  after(async () => {
    await pool?.end();
    if (!admin) return;
    await dropSchema(admin, schema);
    await admin.end();
  });

  test('zt report --json: every number over the twelve incidents', async () => {
    const r = await ztJson<SuccessReport>('report', '--json');
    assert.deepEqual([r.since, r.until, r.service, r.class, r.by, r.groups], [null, null, null, null, null, []]);
    assert.equal(r.firstStartedAt, '2026-03-01T02:10:00.000Z');
    assert.equal(r.lastStartedAt, '2026-03-02T19:30:00.000Z');
    const m = r.overall;
    assert.equal(m.incidents, 12);
    assert.deepEqual(m.outcomes, { 'auto-resolved': 7, 'recovered-without-action': 1, 'resolved-by-human': 4 });
    assert.equal(m.resolvedAutomatically, 8);
    close(m.automaticResolutionRate, 8 / 12);
    // All, sorted: 6 8 12 14 16 45 50 60 300 420 900 1200 → p50 the 6th, p95 the 12th.
    // Automatic: 6 8 12 14 16 45 50 60 → p50 the 4th, p95 the 8th.
    assert.deepEqual(m.recoverySeconds, { all: { incidents: 12, p50: 45, p95: 1200 }, automatic: { incidents: 8, p50: 14, p95: 60 } });
    assert.equal(m.paged, 3);
    close(m.pagesPer100Incidents, 25);
    assert.equal(m.alertsReceived, 38);
    close(m.alertsPerIncident, 38 / 12);
    // The twelfth report came from an older worker: no timings, no impact.
    assert.equal(m.timeToDetect?.incidents, 11);
    close(m.timeToDetect?.meanSeconds, 38 / 11);
    assert.equal(m.timeToMitigate?.incidents, 8);
    close(m.timeToMitigate?.meanSeconds, 157 / 8);
    assert.deepEqual(m.impact, { incidents: 9, failedRequests: 5390, affectedUsers: 350 });
  });

  test('zt report --by class: the overall block and one row per class, busiest first', async () => {
    const run = await zt('report', '--by', 'class');
    assert.equal(run.code, 0, run.stderr);
    const out = run.stdout;
    assert.match(out, /^Success metrics: 12 incidents recorded, first 2026-03-01T02:10:00Z, last 2026-03-02T19:30:00Z\n/);
    assert.match(out, /resolved automatically +8 of 12 \(66\.7%\): 7 auto-resolved, 1 recovered without action; 4 resolved by a human/);
    assert.match(out, /recovery time +p50 45\.0s, p95 20m00s \(all 12\); p50 14\.0s, p95 60\.0s \(8 resolved automatically\)/);
    assert.match(out, /pages per 100 incidents +25\.0 \(3 paged\)/);
    assert.match(out, /alerts per incident +3\.2 \(38 alerts\)/);
    assert.match(out, /time to detect +mean 3\.5s \(11 measured\)/);
    assert.match(out, /time to mitigate +mean 19\.6s \(8 where an action changed something\)/);
    assert.match(out, /user impact +5,390 failed requests, 350 affected users \(9 measured\)/);
    const table = out.slice(out.indexOf('By class\n') + 'By class\n'.length).trimEnd().split('\n');
    assert.match(table[0]!, /^CLASS +INCIDENTS +AUTO +TTR P50 +TTR P95 +AUTO P50 +AUTO P95 +PAGES\/100 +ALERTS\/INC +MTTD +MTTM +FAILED REQS +USERS$/);
    assert.deepEqual(
      table.slice(1).map((line) => line.split(/ {2,}/).slice(0, 3)),
      [
        ['deadlock', '4', '100.0%'],
        ['process-crash', '3', '33.3%'],
        ['memory-leak', '2', '100.0%'],
        ['bad-deploy', '1', '0.0%'],
        ['cpu-spike', '1', '100.0%'],
        ['unclassified', '1', '0.0%'],
      ],
    );
    // deadlock: TTR 6 12 14 16; all automatic; no page; 7 alerts / 4; MTTD 2; MTTM (9+8+10)/3 = 9; 360 failed, 46 users.
    assert.deepEqual(table[1]!.split(/ {2,}/), ['deadlock', '4', '100.0%', '12.0s', '16.0s', '12.0s', '16.0s', '0.0', '1.8', '2.0s', '9.0s', '360', '46']);
  });

  test('zt report narrows by period, service and class, and groups by UTC day', async () => {
    const day2 = await ztJson<SuccessReport>('report', '--since', '2026-03-02', '--json');
    assert.equal(day2.since, '2026-03-02T00:00:00.000Z');
    assert.equal(day2.overall.incidents, 6);
    assert.equal(day2.overall.resolvedAutomatically, 4);
    assert.equal(day2.overall.paged, 1);

    const window = await ztJson<SuccessReport>('report', '--since', '2026-03-01T12:00:00Z', '--until', '2026-03-02T04:20:00Z', '--json');
    assert.equal(window.overall.incidents, 4, 'since inclusive, until exclusive');

    const worker = await ztJson<SuccessReport>('report', '--service', WORKER, '--by', 'day', '--json');
    assert.deepEqual(worker.groups.map((g) => [g.group, g.incidents, g.resolvedAutomatically, g.paged]), [
      ['2026-03-01', 2, 1, 1],
      ['2026-03-02', 2, 2, 0],
    ]);
    // 45 50 60 900: p50 the 2nd, p95 the 4th.
    assert.deepEqual(worker.overall.recoverySeconds.all, { incidents: 4, p50: 50, p95: 900 });

    const deadlocks = await ztJson<SuccessReport>('report', '--class', 'deadlock', '--by', 'week', '--json');
    // 2026-03-01 is a Sunday: its week began on Monday 2026-02-23.
    assert.deepEqual(deadlocks.groups.map((g) => [g.group, g.incidents]), [['2026-02-23', 2], ['2026-03-02', 2]]);

    const none = await zt('report', '--since', '2026-04-01');
    assert.equal(none.code, 0);
    assert.equal(none.stdout, 'no incidents started since 2026-04-01T00:00:00Z\n');
  });

  test('zt report: bad flags exit 2 naming the flag; no ledger yet is no incidents, exit 0', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['report', '--since', 'yesterday'], /--since <when>.*"yesterday" is neither a duration ago/],
      [['report', '--until', '2026-03-01T08:00'], /--until <when>.*nor an ISO 8601 time/],
      [['report', '--by', 'month'], /--by <group>.*Allowed choices are class, service, day, week/],
      [['report', '--class', 'gremlins'], /--class "gremlins" is not an incident class/],
      [['report', '--service', 'Not A Service'], /--service "Not A Service" is not a service name/],
      [['report', '--since', '2026-03-02', '--until', '2026-03-01'], /--since \(2026-03-02T00:00:00\.000Z\) must be before --until/],
      [['incidents', '--source', 'ledger', '--open'], /--open cannot be used with --source ledger/],
    ];
    for (const [args, message] of cases) {
      const run = await zt(...args);
      assert.equal(run.code, 2, `zt ${args.join(' ')}`);
      assert.equal(run.stdout, '', `zt ${args.join(' ')} prints nothing on stdout`);
      assert.match(run.stderr, message);
    }

    const emptyEnv = { ...env, ZT_LEDGER_SCHEMA: uniqueSchema('zt_report_none') };
    const empty = await runZt(['report'], emptyEnv);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, 'no incidents recorded yet\n');
    const emptyJson = await runZt(['report', '--json', '--by', 'class'], emptyEnv);
    assert.equal(emptyJson.code, 0);
    const parsed = JSON.parse(emptyJson.stdout) as SuccessReport;
    assert.equal(parsed.overall.incidents, 0);
    assert.equal(parsed.overall.automaticResolutionRate, null);
    assert.deepEqual(parsed.groups, []);
  });

  test('zt incidents --source ledger --json: the closed incidents in the contract shape, newest first', async () => {
    const rows = await ztJson<Array<Record<string, unknown>>>('incidents', '--source', 'ledger', '--json');
    const expected = [...REPORTS]
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
      .map((r) => ({
        incidentId: r.incidentId,
        workflowId: r.workflowId,
        service: r.service,
        class: r.class,
        severity: r.severity,
        phase: 'closed',
        outcome: r.outcome,
        startedAt: r.startedAt,
        ttrSeconds: r.ttrSeconds,
      }));
    assert.deepEqual(rows, expected);

    const worker = await ztJson<Array<{ service: string }>>('incidents', '--source', 'ledger', '--closed', '--service', WORKER, '--json');
    assert.equal(worker.length, 4);
    assert.ok(worker.every((r) => r.service === WORKER));
    const limited = await ztJson<Array<{ incidentId: string }>>('incidents', '--source', 'ledger', '--limit', '3', '--json');
    assert.deepEqual(limited.map((r) => r.incidentId), expected.slice(0, 3).map((r) => r.incidentId));

    const table = await zt('incidents', '--source', 'ledger', '--service', API);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^INCIDENT +SERVICE +CLASS +SEVERITY +PHASE +OUTCOME +STARTED +TTR +WORKFLOW\n/);
    assert.match(table.stdout, new RegExp(`${REPORTS[8]!.incidentId} +${API} +- +high +closed +resolved-by-human +2026-03-02T08:00:00Z +20m00s +incident-${API}\\.availability`));
  });

  test('zt show falls back to the ledger when Temporal has no such workflow', async () => {
    const paged = REPORTS[4]!;
    const shown = await zt('show', paged.incidentId);
    assert.equal(shown.code, 0, shown.stderr);
    for (const expected of [
      new RegExp(`^from the audit ledger: Temporal does not have ${paged.workflowId.replace(/\./g, '\\.')} run ${paged.runId}`),
      new RegExp(`incident +${paged.incidentId} +\\(${paged.workflowId.replace(/\./g, '\\.')}, run ${paged.runId}\\)`),
      /outcome +resolved-by-human/,
      /ttr +15m00s/,
      /escalated +two failed attempts/,
      /detect +3\.0s after the first sign/,
      /mitigate +20\.0s after the first sign/,
      /impact +5,000 of 10,000 requests failed \(50\.0%\), about 300 users affected over 15m00s/,
      /human acts +alice resolve at .* \(fixed by hand\)/,
      new RegExp(`temporal +namespace default, workflow ${paged.workflowId.replace(/\./g, '\\.')}, run ${paged.runId}`),
      new RegExp(`web ui +http://127\\.0\\.0\\.1:8233/namespaces/default/workflows/${paged.workflowId.replace(/\./g, '\\.')}/${paged.runId}/history`),
      /ledger +seq \d+, recorded 2026-03-01T15:59:58Z, hash [0-9a-f]{16}…/,
    ]) {
      assert.match(shown.stdout, expected);
    }

    const json = await ztJson<{ report: IncidentReport; ledger: { seq: number; key: string; hash: string; recordedAt: string } }>('show', REPORTS[8]!.incidentId, '--json');
    assert.deepEqual(json.report, REPORTS[8]);
    assert.equal(json.ledger.key, REPORTS[8]!.incidentId);
    assert.match(json.ledger.hash, /^[0-9a-f]{64}$/);
    assert.match(json.report.proposedSignature?.summary ?? '', /upstream TLS expiry/);
    const unclassified = await zt('show', REPORTS[8]!.incidentId);
    assert.match(unclassified.stdout, /proposed +upstream TLS expiry: page, no automatic action/);

    // A workflow id (or key) names its newest report: deadlocks of the API reuse incident-<api>.availability.
    const byKey = await ztJson<{ report: IncidentReport }>('show', `${API}.availability`, '--json');
    assert.equal(byKey.report.incidentId, REPORTS[11]!.incidentId);

    const missing = await zt('show', 'INC-20260301-00000000');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no incident INC-20260301-00000000 \(not in Temporal, and no report of it in the ledger\)/);
  });

  test('zt audit still reads the same ledger through the shared opener', async () => {
    const verified = await ztJson<{ ok: boolean; rows: number }>('audit', 'verify', '--json');
    assert.deepEqual([verified.ok, verified.rows], [true, REPORTS.length + 1]);
  });
});
