// Success metrics over incident reports (reporting/success-metrics.ts), table-driven: nearest-rank
// quantiles on known inputs, rates, means over what was measured, the period, filters and grouping.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dayOf, quantile, successMetrics, successReport, weekOf, type ReportForMetrics } from '../../reporting/success-metrics';
import type { IncidentOutcome } from '../../signals/incident';

const ESCALATION = { reason: 'two failed attempts', at: '2026-03-02T10:05:00.000Z' };

function report(over: Partial<ReportForMetrics> & { outcome?: IncidentOutcome } = {}): ReportForMetrics {
  return {
    outcome: 'auto-resolved',
    class: 'deadlock',
    service: 'api',
    ttrSeconds: 10,
    alertsReceived: 1,
    escalation: null,
    startedAt: '2026-03-02T10:00:00.000Z',
    ...over,
  };
}

describe('quantile (nearest rank)', () => {
  const cases: Array<[string, number[], number, number | null]> = [
    ['empty', [], 0.5, null],
    ['one value is every quantile', [7], 0.95, 7],
    ['p50 of 4 is the 2nd', [1, 2, 3, 4], 0.5, 2],
    ['p50 of 5 is the 3rd', [1, 2, 3, 4, 5], 0.5, 3],
    ['p95 of 10 is the 10th', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95, 10],
    ['p95 of 20 is the 19th', Array.from({ length: 20 }, (_, i) => i + 1), 0.95, 19],
    ['p95 of 100 is the 95th', Array.from({ length: 100 }, (_, i) => i + 1), 0.95, 95],
    ['p100 is the largest', [3, 9, 27], 1, 27],
    ['a tiny q is the smallest', [3, 9, 27], 0.0001, 3],
  ];
  for (const [name, values, q, expected] of cases) {
    test(name, () => assert.equal(quantile(values, q), expected));
  }
});

describe('successMetrics', () => {
  test('no incidents: zero counts and no rates, means or quantiles (never NaN)', () => {
    const m = successMetrics([]);
    assert.deepEqual(m, {
      incidents: 0,
      outcomes: { 'auto-resolved': 0, 'recovered-without-action': 0, 'resolved-by-human': 0 },
      resolvedAutomatically: 0,
      automaticResolutionRate: null,
      recoverySeconds: { all: { incidents: 0, p50: null, p95: null }, automatic: { incidents: 0, p50: null, p95: null } },
      paged: 0,
      pagesPer100Incidents: null,
      alertsReceived: 0,
      alertsPerIncident: null,
      timeToDetect: null,
      timeToMitigate: null,
      impact: null,
    });
  });

  const rateCases: Array<{ name: string; reports: ReportForMetrics[]; rate: number; pagesPer100: number; alertsPerIncident: number }> = [
    {
      name: 'all auto-resolved, quiet',
      reports: [report(), report()],
      rate: 1,
      pagesPer100: 0,
      alertsPerIncident: 1,
    },
    {
      name: 'recovered without action counts as automatic',
      reports: [report({ outcome: 'recovered-without-action' }), report({ outcome: 'resolved-by-human', escalation: ESCALATION, alertsReceived: 5 })],
      rate: 0.5,
      pagesPer100: 50,
      alertsPerIncident: 3,
    },
    {
      name: 'one of four paged; a human resolving without an escalation is not a page',
      reports: [
        report({ alertsReceived: 50 }),
        report({ outcome: 'resolved-by-human' }),
        report({ outcome: 'resolved-by-human', escalation: ESCALATION }),
        report({ outcome: 'auto-resolved', alertsReceived: 2 }),
      ],
      rate: 0.5,
      pagesPer100: 25,
      alertsPerIncident: 54 / 4,
    },
  ];
  for (const c of rateCases) {
    test(`rates: ${c.name}`, () => {
      const m = successMetrics(c.reports);
      assert.equal(m.automaticResolutionRate, c.rate);
      assert.equal(m.pagesPer100Incidents, c.pagesPer100);
      assert.equal(m.alertsPerIncident, c.alertsPerIncident);
    });
  }

  test('recovery quantiles over all incidents and over those resolved automatically', () => {
    const m = successMetrics([
      report({ ttrSeconds: 5 }),
      report({ ttrSeconds: 8, outcome: 'recovered-without-action' }),
      report({ ttrSeconds: 12 }),
      report({ ttrSeconds: 600, outcome: 'resolved-by-human', escalation: ESCALATION }),
      report({ ttrSeconds: 1800, outcome: 'resolved-by-human', escalation: ESCALATION }),
    ]);
    assert.deepEqual(m.recoverySeconds, {
      all: { incidents: 5, p50: 12, p95: 1800 },
      automatic: { incidents: 3, p50: 8, p95: 12 },
    });
    assert.deepEqual(m.outcomes, { 'auto-resolved': 2, 'recovered-without-action': 1, 'resolved-by-human': 2 });
  });

  test('time to detect / mitigate and impact are over the reports that measured them, and say how many', () => {
    const impact = (failedRequests: number, affectedUsers: number) => ({
      failedRequests,
      affectedUsers,
      totalRequests: 1000,
      errorRatio: failedRequests / 1000,
      durationSeconds: 30,
      requestsPerUserPerMinute: 6,
      basis: 'test',
    });
    const m = successMetrics([
      report({ timeToDetectSeconds: 2, timeToMitigateSeconds: 10, impact: impact(100, 12) }),
      report({ timeToDetectSeconds: 4, timeToMitigateSeconds: null, impact: null }),
      // Recorded by an older worker: none of the three.
      report({}),
      report({ timeToDetectSeconds: 6, timeToMitigateSeconds: 20, impact: impact(50, 3) }),
    ]);
    assert.deepEqual(m.timeToDetect, { meanSeconds: 4, incidents: 3 });
    assert.deepEqual(m.timeToMitigate, { meanSeconds: 15, incidents: 2 });
    assert.deepEqual(m.impact, { incidents: 2, failedRequests: 150, affectedUsers: 15 });
  });
});

describe('successReport', () => {
  const reports = [
    report({ startedAt: '2026-03-01T23:59:59.000Z', class: 'deadlock', service: 'api', ttrSeconds: 10 }),
    report({ startedAt: '2026-03-02T00:00:00.000Z', class: 'memory-leak', service: 'api', ttrSeconds: 40, outcome: 'resolved-by-human', escalation: ESCALATION }),
    report({ startedAt: '2026-03-02T08:00:00.000Z', class: 'deadlock', service: 'worker', ttrSeconds: 20 }),
    report({ startedAt: '2026-03-09T08:00:00.000Z', class: null, service: 'worker', ttrSeconds: 30, outcome: 'resolved-by-human' }),
    report({ startedAt: 'not a time' }),
  ];

  test('the empty period: zero incidents, no groups, the query echoed', () => {
    const r = successReport(reports, { since: new Date('2027-01-01T00:00:00Z'), by: 'class' });
    assert.equal(r.overall.incidents, 0);
    assert.deepEqual(r.groups, []);
    assert.equal(r.since, '2027-01-01T00:00:00.000Z');
    assert.equal(r.until, null);
    assert.equal(r.by, 'class');
    assert.equal(r.firstStartedAt, null);
  });

  const periodCases: Array<[string, Parameters<typeof successReport>[1], number, string | null, string | null]> = [
    ['everything with a readable start', {}, 4, '2026-03-01T23:59:59.000Z', '2026-03-09T08:00:00.000Z'],
    ['since is inclusive', { since: new Date('2026-03-02T00:00:00Z') }, 3, '2026-03-02T00:00:00.000Z', '2026-03-09T08:00:00.000Z'],
    ['until is exclusive', { until: new Date('2026-03-02T00:00:00Z') }, 1, '2026-03-01T23:59:59.000Z', '2026-03-01T23:59:59.000Z'],
    ['a window', { since: new Date('2026-03-02T00:00:00Z'), until: new Date('2026-03-03T00:00:00Z') }, 2, '2026-03-02T00:00:00.000Z', '2026-03-02T08:00:00.000Z'],
    ['by service', { service: 'worker' }, 2, '2026-03-02T08:00:00.000Z', '2026-03-09T08:00:00.000Z'],
    ['by class', { class: 'deadlock' }, 2, '2026-03-01T23:59:59.000Z', '2026-03-02T08:00:00.000Z'],
  ];
  for (const [name, query, incidents, first, last] of periodCases) {
    test(`period and filters: ${name}`, () => {
      const r = successReport(reports, query);
      assert.equal(r.overall.incidents, incidents);
      assert.equal(r.firstStartedAt, first);
      assert.equal(r.lastStartedAt, last);
    });
  }

  const groupCases: Array<[string, 'class' | 'service' | 'day' | 'week', Array<[string | null, number]>]> = [
    // Most incidents first, ties by name, the unclassified last.
    ['class', 'class', [['deadlock', 2], ['memory-leak', 1], [null, 1]]],
    ['service', 'service', [['api', 2], ['worker', 2]]],
    // UTC days and Monday-named weeks, oldest first (2026-03-01 is a Sunday).
    ['day', 'day', [['2026-03-01', 1], ['2026-03-02', 2], ['2026-03-09', 1]]],
    ['week', 'week', [['2026-02-23', 1], ['2026-03-02', 2], ['2026-03-09', 1]]],
  ];
  for (const [name, by, expected] of groupCases) {
    test(`grouped by ${name}`, () => {
      const r = successReport(reports, { by });
      assert.deepEqual(r.groups.map((g) => [g.group, g.incidents]), expected);
      assert.equal(r.groups.reduce((n, g) => n + g.incidents, 0), r.overall.incidents, 'the groups partition the incidents');
    });
  }

  test('each group has its own rates and quantiles', () => {
    const r = successReport(reports, { by: 'service' });
    const api = r.groups.find((g) => g.group === 'api')!;
    assert.equal(api.automaticResolutionRate, 0.5);
    assert.equal(api.pagesPer100Incidents, 50);
    assert.deepEqual(api.recoverySeconds.all, { incidents: 2, p50: 10, p95: 40 });
    assert.deepEqual(api.recoverySeconds.automatic, { incidents: 1, p50: 10, p95: 10 });
    assert.equal(successReport(reports).groups.length, 0, 'not grouped unless asked');
  });

  const dayCases: Array<[string, string, string]> = [
    ['2026-03-01T23:59:59.999Z', '2026-03-01', '2026-02-23'],
    ['2026-03-02T00:00:00.000Z', '2026-03-02', '2026-03-02'],
    ['2026-03-08T12:00:00.000Z', '2026-03-08', '2026-03-02'],
    ['2027-01-01T05:00:00.000Z', '2027-01-01', '2026-12-28'],
  ];
  for (const [at, day, week] of dayCases) {
    test(`${at} is day ${day}, week of ${week}`, () => {
      assert.equal(dayOf(new Date(at)), day);
      assert.equal(weekOf(new Date(at)), week);
    });
  }
});
