// The governor's rules without Temporal: budget, leases (TTL, re-entrance), blast radius, breaker,
// maintenance (runtime and weekly windows), modes, bad payloads and the operator allowlist. The clock is
// the test's: every method takes `now`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, parseConfig } from '../../config/load';
import { governorSettingsFrom } from '../../signals/governor-client';
import { governorSettingsSchema, permitReleaseSchema, permitRequestSchema, type GovernorMode, type PermitRequest, type PermitVerdict } from '../../signals/governor';
import { AUDIT_LIMIT, GovernorState, spanText } from '../../workflows/governor-state';
import { checkBlastRadius, maxOutOfService } from '../../workflows/blast-radius';
import { activeWindow, nextWindowBoundary } from '../../workflows/maintenance-windows';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Monday 2026-01-05 10:00 UTC. */
const T0 = Date.parse('2026-01-05T10:00:00.000Z');

function governor(settings: Record<string, unknown> = {}, mode: GovernorMode = 'auto'): GovernorState {
  return new GovernorState({ mode, settings: governorSettingsSchema.parse({ knownServices: ['api', 'web'], ...settings }) }, T0, 'gov1');
}

const A: PermitRequest = {
  incidentWorkflowId: 'incident-api.availability',
  incidentId: 'INC-A',
  service: 'api',
  action: 'pm2-restart',
  takesOutOfService: 1,
  instances: 2,
};
const B: PermitRequest = { ...A, incidentWorkflowId: 'incident-api.resources', incidentId: 'INC-B' };

function granted(v: PermitVerdict): string {
  assert.equal(v.verdict, 'granted', v.reason);
  assert.ok(v.verdict === 'granted');
  return v.permitId;
}

function expectVerdict(v: PermitVerdict, verdict: PermitVerdict['verdict'], reason: RegExp): void {
  assert.equal(v.verdict, verdict, v.reason);
  assert.match(v.reason, reason);
}

const serviceView = (g: GovernorState, now: number, name = 'api') => g.view(now).services.find((s) => s.service === name)!;
const lastAudit = (g: GovernorState, now: number) => g.view(now).audit.at(-1)!;

describe('governor config', () => {
  test('defaults, and the settings a worker hands the governor', () => {
    const c = parseConfig({ operators: ['alice'] });
    assert.deepEqual(c.governor, {
      actionsPerHour: 6,
      maxInstanceShare: 0.5,
      leaseTtlMs: 300_000,
      breaker: { maxRemediations: 3, windowMs: 3_600_000 },
      maintenance: {},
      services: {},
    });
    const settings = governorSettingsFrom(c);
    assert.deepEqual(settings.operators, ['alice']);
    assert.deepEqual(settings.knownServices, ['localize-api'], 'the demo service when none is configured');
    assert.deepEqual(governorSettingsSchema.parse(settings), settings, 'what the governor validates is what config produces');
  });

  test('the shipped example parses', () => {
    const example = JSON.parse(readFileSync(path.join(__dirname, '../../config/example.json'), 'utf8')) as unknown;
    assert.equal(parseConfig(example).governor.maintenance['localize-api']?.[0]?.from, '03:00');
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['share above 1', { maxInstanceShare: 1.5 }, /governor\.maxInstanceShare/],
    ['share of 0', { maxInstanceShare: 0 }, /governor\.maxInstanceShare/],
    ['negative budget', { actionsPerHour: -1 }, /governor\.actionsPerHour/],
    ['bad clock', { maintenance: { api: [{ from: '25:00', to: '02:00' }] } }, /governor\.maintenance\.api\.0\.from: must be HH:MM/],
    ['empty window', { maintenance: { api: [{ from: '02:00', to: '02:00' }] } }, /from and to must differ/],
    ['bad day', { maintenance: { api: [{ days: ['someday'], from: '01:00', to: '02:00' }] } }, /days/],
    ['not UTC', { maintenance: { api: [{ from: '01:00', to: '02:00', timezone: 'Europe/Paris' }] } }, /timezone/],
    ['unknown override field', { services: { api: { budget: 3 } } }, /governor\.services\.api/],
    ['bad service key', { maintenance: { __proto__x: [] } }, /governor\.maintenance\.__proto__x: Invalid key/],
  ];
  for (const [name, governor, message] of bad) {
    test(`refused: ${name}`, () => {
      assert.throws(() => parseConfig({ governor }), (e: unknown) => e instanceof ConfigError && message.test(e.message));
    });
  }
});

describe('blast radius (shared rule)', () => {
  test('the share of the instances, rounded down, never below one', () => {
    assert.equal(maxOutOfService(2, 0.5), 1);
    assert.equal(maxOutOfService(1, 0.5), 1);
    assert.equal(maxOutOfService(4, 0.5), 2);
    assert.equal(maxOutOfService(10, 0.3), 3);
    assert.equal(maxOutOfService(3, 1), 3);
  });

  test('refused beyond the bound and beyond the instance count; zero is always allowed', () => {
    assert.deepEqual(checkBlastRadius({ takesOutOfService: 1, instances: 2, maxInstanceShare: 0.5 }), { allowed: true, limit: 1 });
    assert.deepEqual(checkBlastRadius({ takesOutOfService: 0, instances: 2, maxInstanceShare: 0.5 }), { allowed: true, limit: 1 });
    const two = checkBlastRadius({ takesOutOfService: 2, instances: 2, maxInstanceShare: 0.5 });
    assert.equal(two.allowed, false);
    assert.match(two.allowed ? '' : two.reason, /2 of 2 instance\(s\) .* the bound is 1 \(50% of 2, at least 1\)/);
    assert.equal(checkBlastRadius({ takesOutOfService: 3, instances: 2, maxInstanceShare: 1 }).allowed, false);
    assert.equal(checkBlastRadius({ takesOutOfService: 1, instances: 1, maxInstanceShare: 0.5 }).allowed, true);
  });
});

describe('GovernorState', () => {
  test('a permit is granted with a lease and counted in the budget', () => {
    const g = governor();
    const v = g.requestPermit(A, T0);
    assert.equal(granted(v), 'gov1-1');
    assert.ok(v.verdict === 'granted');
    assert.equal(v.leaseExpiresAt, new Date(T0 + 5 * MIN).toISOString());
    assert.match(v.reason, /pm2-restart on api for INC-A: action 1 of 6 this hour, 1 of 2 instance\(s\) out at once \(bound 1\)/);
    const s = serviceView(g, T0);
    assert.deepEqual(s.budget, { used: 1, limit: 6, nextSlotAt: null });
    assert.equal(s.lease?.incidentId, 'INC-A');
    assert.equal(g.view(T0).decisions.at(-1)?.verdict, 'granted');
  });

  describe('action budget (sliding hour)', () => {
    test('beyond actionsPerHour automation escalates until the oldest action is an hour old', () => {
      const g = governor({ actionsPerHour: 3 });
      for (const at of [T0, T0 + 20 * MIN, T0 + 40 * MIN]) {
        const id = granted(g.requestPermit(A, at));
        g.releasePermit({ permitId: id, outcome: 'failed' }, at + MIN);
      }
      const spent = g.requestPermit(A, T0 + 59 * MIN);
      expectVerdict(spent, 'escalate', /action budget spent: 3 automatic action\(s\) on api in the last hour \(limit 3\); the next slot opens at 2026-01-05T11:00:00.000Z/);
      assert.equal(spent.verdict !== 'granted' && spent.retryAfterMs, MIN);
      assert.equal(serviceView(g, T0 + 59 * MIN).budget.nextSlotAt, '2026-01-05T11:00:00.000Z');
      // Budgets are per service.
      granted(g.requestPermit({ ...A, service: 'web' }, T0 + 59 * MIN));
      granted(g.requestPermit(A, T0 + HOUR + 1));
    });

    test('every granted permit counts, even one not performed; refusals do not', () => {
      const g = governor({ actionsPerHour: 2 });
      g.releasePermit({ permitId: granted(g.requestPermit(A, T0)), outcome: 'not-performed' }, T0);
      expectVerdict(g.requestPermit({ ...A, takesOutOfService: 2 }, T0), 'escalate', /blast radius/);
      g.receive('setMode', { operator: 'alice', mode: 'observe' }, T0);
      expectVerdict(g.requestPermit(A, T0), 'observe', /observe mode/);
      g.receive('setMode', { operator: 'alice', mode: 'auto' }, T0);
      assert.equal(serviceView(g, T0).budget.used, 1);
      granted(g.requestPermit(A, T0 + 1));
      expectVerdict(g.requestPermit(A, T0 + 2), 'escalate', /budget spent/);
    });

    test('a per-service override; zero means never act', () => {
      const g = governor({ services: { web: { actionsPerHour: 0 } } });
      expectVerdict(g.requestPermit({ ...A, service: 'web' }, T0), 'escalate', /action budget spent: 0 .* \(limit 0\)$/);
      granted(g.requestPermit(A, T0));
    });
  });

  describe('one acting incident per service (lease)', () => {
    test('a second incident waits; the holder re-enters; release frees the service', () => {
      const g = governor();
      const first = granted(g.requestPermit(A, T0));
      const wait = g.requestPermit(B, T0 + 1000);
      expectVerdict(wait, 'wait', /api is being remediated by INC-A \(pm2-restart, gov1-1\); one acting incident per service/);
      assert.equal(wait.verdict === 'wait' && wait.retryAfterMs, 10_000);
      // Another service is not held.
      granted(g.requestPermit({ ...B, service: 'web' }, T0 + 1000));

      const again = g.requestPermit({ ...A, action: 'pm2-reload' }, T0 + 2000);
      const second = granted(again);
      assert.notEqual(second, first);
      assert.match(again.reason, /re-entering the lease it held \(gov1-1\)/);
      assert.equal(serviceView(g, T0 + 2000).lease?.permitId, second);

      // Releasing the superseded permit does not free the service; releasing the current one does.
      assert.equal(g.releasePermit({ permitId: first, outcome: 'failed' }, T0 + 3000).released, true);
      expectVerdict(g.requestPermit(B, T0 + 3000), 'wait', /INC-A/);
      const released = g.releasePermit({ permitId: second, outcome: 'failed' }, T0 + 4000);
      assert.deepEqual(released, { released: true, summary: `released ${second} of INC-A (failed); api is free`, breakerOpened: false });
      granted(g.requestPermit(B, T0 + 5000));
    });

    test('an unreleased lease expires after its TTL, recorded, so a dead incident cannot wedge the service', () => {
      const g = governor({ leaseTtlMs: 2 * MIN });
      granted(g.requestPermit(A, T0));
      assert.equal(g.nextWakeAt(T0), T0 + 2 * MIN);
      const wait = g.requestPermit(B, T0 + 2 * MIN - 5000);
      assert.equal(wait.verdict === 'wait' && wait.retryAfterMs, 5000);
      g.tick(T0 + 2 * MIN);
      assert.equal(serviceView(g, T0 + 2 * MIN).lease, null);
      const expired = lastAudit(g, T0 + 2 * MIN);
      assert.equal(expired.kind, 'lease-expired');
      assert.equal(expired.actor, 'governor');
      assert.match(expired.summary, /lease of api held by INC-A \(gov1-1, pm2-restart\) expired unreleased/);
      granted(g.requestPermit(B, T0 + 2 * MIN + 1));
    });

    test('the same request asked twice (a retried activity) is granted once', () => {
      const g = governor();
      const one = granted(g.requestPermit({ ...A, requestId: 'r-1' }, T0));
      const two = g.requestPermit({ ...A, requestId: 'r-1' }, T0 + 100);
      assert.equal(granted(two), one);
      assert.match(two.reason, /already granted to this request/);
      assert.equal(serviceView(g, T0 + 100).budget.used, 1);
    });

    test('release is idempotent and unknown permits are refused', () => {
      const g = governor();
      const id = granted(g.requestPermit(A, T0));
      assert.equal(g.releasePermit({ permitId: id, outcome: 'verified' }, T0).released, true);
      assert.deepEqual(g.releasePermit({ permitId: id, outcome: 'verified' }, T0), {
        released: false,
        summary: `permit ${id} was already released (verified)`,
        breakerOpened: false,
      });
      assert.equal(serviceView(g, T0).breaker.remediations, 1, 'counted once');
      assert.equal(g.releasePermit({ permitId: 'nope-1', outcome: 'failed' }, T0).released, false);
    });
  });

  describe('a lease while diagnosing', () => {
    const L: PermitRequest = { incidentWorkflowId: A.incidentWorkflowId, incidentId: 'INC-A', service: 'api', lease: true, takesOutOfService: 0, instances: 1 };

    test('granted with the share the action must keep to, counted in the budget, holding the service', () => {
      const g = governor({ services: { web: { maxInstanceShare: 0.25 } } });
      const v = g.requestPermit(L, T0);
      const id = granted(v);
      assert.equal(v.verdict === 'granted' && v.maxInstanceShare, 0.5);
      assert.equal(v.verdict === 'granted' && v.maxOutOfService, undefined, 'no bound yet: the instances are not known');
      assert.match(v.reason, /granted a lease to INC-A while it diagnoses api: action 1 of 6 this hour; its action may take at most 50% of the instances out at once/);
      const s = serviceView(g, T0);
      assert.equal(s.budget.used, 1);
      assert.equal(s.lease?.action, null);
      assert.equal(g.view(T0).decisions.at(-1)?.action, null);
      expectVerdict(g.requestPermit(B, T0 + 1), 'wait', /being remediated by INC-A \(any action \(diagnosing\), gov1-1\)/);
      const web = g.requestPermit({ ...L, service: 'web' }, T0);
      assert.equal(web.verdict === 'granted' && web.maxInstanceShare, 0.25, 'the per-service share');
      // Used: released with the action taken, like any permit.
      const released = g.releasePermit({ permitId: id, outcome: 'verified', action: 'pm2-restart' }, T0 + 5000);
      assert.equal(released.summary, `released ${id} of INC-A (verified, pm2-restart); api is free`);
      assert.equal(serviceView(g, T0 + 5000).budget.used, 1);
      assert.equal(serviceView(g, T0 + 5000).breaker.remediations, 1);
    });

    test('handed back unused, it gives its budget slot back', () => {
      const g = governor({ actionsPerHour: 1 });
      const id = granted(g.requestPermit(L, T0));
      expectVerdict(g.requestPermit({ ...L, incidentWorkflowId: 'other', incidentId: 'INC-B', service: 'api' }, T0 + 1), 'escalate', /action budget spent/);
      const back = g.releasePermit({ permitId: id, outcome: 'unused' }, T0 + 1000);
      assert.equal(back.summary, `released ${id} of INC-A (unused); api is free; its budget slot is given back`);
      assert.equal(serviceView(g, T0 + 1000).budget.used, 0);
      granted(g.requestPermit(B, T0 + 2000));
      // A permit for an action released unused gives nothing back: it was never a reservation.
      const g2 = governor({ actionsPerHour: 1 });
      g2.releasePermit({ permitId: granted(g2.requestPermit(A, T0)), outcome: 'unused' }, T0);
      assert.equal(serviceView(g2, T0).budget.used, 1);
    });

    test('asking again over a lease never used (its answer was lost) supersedes it and gives its slot back', () => {
      const g = governor({ actionsPerHour: 2 });
      const lost = granted(g.requestPermit({ ...L, requestId: 'lease-1' }, T0));
      const v = g.requestPermit(A, T0 + 3000);
      granted(v);
      assert.match(v.reason, new RegExp(`re-entering the lease it held \\(${lost}, unused\\)`));
      assert.equal(serviceView(g, T0 + 3000).budget.used, 1);
      assert.equal(g.releasePermit({ permitId: lost, outcome: 'unused' }, T0 + 4000).released, false, 'already handed back');
      // The same lease asked twice is granted once, with its share.
      const g2 = governor();
      const one = granted(g2.requestPermit({ ...L, requestId: 'lease-1' }, T0));
      const two = g2.requestPermit({ ...L, requestId: 'lease-1' }, T0 + 10);
      assert.equal(granted(two), one);
      assert.equal(two.verdict === 'granted' && two.maxInstanceShare, 0.5);
    });

    test('every bound but the blast radius applies: observe, maintenance, frozen, breaker', () => {
      const g = governor({}, 'observe');
      expectVerdict(g.requestPermit(L, T0), 'observe', /observe mode .*would run any action \(diagnosing\) on api/);
      g.receive('setMode', { operator: 'alice', mode: 'frozen' }, T0);
      expectVerdict(g.requestPermit(L, T0), 'escalate', /frozen/);
      g.receive('setMode', { operator: 'alice', mode: 'auto' }, T0);
      g.receive('startMaintenance', { operator: 'alice', service: 'api', durationMs: MIN, reason: 'upgrade' }, T0);
      expectVerdict(g.requestPermit(L, T0), 'observe', /maintenance/);
      assert.equal(serviceView(g, T0).budget.used, 0);
    });

    test('a request must name its action unless it is a lease', () => {
      assert.equal(permitRequestSchema.safeParse(L).success, true);
      const { action: _, ...noAction } = A;
      const parsed = permitRequestSchema.safeParse(noAction);
      assert.equal(parsed.success, false);
      assert.match(JSON.stringify(parsed.error?.issues), /action is required unless lease is true/);
      assert.equal(permitReleaseSchema.safeParse({ permitId: 'p', outcome: 'unused', action: 'pm2-restart' }).success, true);
      assert.equal(permitReleaseSchema.safeParse({ permitId: 'p', outcome: 'unused', action: 'reboot' }).success, false);
    });
  });

  describe('blast radius', () => {
    test('a request beyond maxInstanceShare escalates; a per-service override loosens it', () => {
      const g = governor({ services: { web: { maxInstanceShare: 1 } } });
      expectVerdict(g.requestPermit({ ...A, takesOutOfService: 2, instances: 2 }, T0), 'escalate', /blast radius: .*2 of 2 .* bound is 1 \(50% of 2, at least 1\); pm2-restart on api needs a human/);
      granted(g.requestPermit({ ...A, service: 'web', takesOutOfService: 2, instances: 2 }, T0));
      granted(g.requestPermit({ ...A, takesOutOfService: 2, instances: 4 }, T0));
    });
  });

  describe('circuit breaker', () => {
    test('the third verified remediation within the hour opens it; further incidents escalate until reset', () => {
      const g = governor();
      for (let i = 0; i < 3; i++) {
        const at = T0 + i * 10 * MIN;
        const result = g.releasePermit({ permitId: granted(g.requestPermit(A, at)), outcome: 'verified' }, at + MIN);
        assert.equal(result.breakerOpened, i === 2);
      }
      const opened = lastAudit(g, T0 + 21 * MIN);
      assert.equal(opened.kind, 'breaker-open');
      assert.equal(opened.actor, 'governor');
      expectVerdict(g.requestPermit(B, T0 + 30 * MIN), 'escalate', /^recurring: api was remediated 3 times in the last hour; this is a problem for humans \(breaker open since .*zt breaker reset api/);
      // Still open hours later: only a human closes it.
      expectVerdict(g.requestPermit(B, T0 + 5 * HOUR), 'escalate', /recurring/);
      assert.equal(serviceView(g, T0 + 5 * HOUR).breaker.open, true);

      g.receive('resetBreaker', { operator: 'alice', service: 'api', reason: 'fixed the leak' }, T0 + 5 * HOUR);
      const reset = lastAudit(g, T0 + 5 * HOUR);
      assert.equal(reset.kind, 'breaker-reset');
      assert.equal(reset.applied, true);
      assert.match(reset.summary, /alice closed the open breaker of api: fixed the leak/);
      assert.deepEqual(serviceView(g, T0 + 5 * HOUR).breaker.open, false);
      granted(g.requestPermit(B, T0 + 5 * HOUR));
    });

    test('failed attempts do not count, and remediations older than the window fall out', () => {
      const g = governor({ breaker: { maxRemediations: 2, windowMs: 30 * MIN } });
      g.releasePermit({ permitId: granted(g.requestPermit(A, T0)), outcome: 'failed' }, T0);
      g.releasePermit({ permitId: granted(g.requestPermit(A, T0 + MIN)), outcome: 'verified' }, T0 + MIN);
      const late = g.releasePermit({ permitId: granted(g.requestPermit(A, T0 + 40 * MIN)), outcome: 'verified' }, T0 + 40 * MIN);
      assert.equal(late.breakerOpened, false);
      const soon = g.releasePermit({ permitId: granted(g.requestPermit(A, T0 + 45 * MIN)), outcome: 'verified' }, T0 + 45 * MIN);
      assert.equal(soon.breakerOpened, true);
      expectVerdict(g.requestPermit(A, T0 + 46 * MIN), 'escalate', /remediated 2 times in the last 30 min/);
    });

    test('resetting a closed breaker with nothing counted is recorded as not applied', () => {
      const g = governor();
      g.receive('resetBreaker', { operator: 'alice', service: 'api' }, T0);
      assert.equal(lastAudit(g, T0).applied, false);
    });
  });

  describe('maintenance', () => {
    test('runtime maintenance: observe until it ends by signal or at its time, each recorded', () => {
      const g = governor();
      g.receive('startMaintenance', { operator: 'alice', service: 'api', durationMs: 30 * MIN, reason: 'migrating the database' }, T0);
      const started = lastAudit(g, T0);
      assert.equal(started.kind, 'maintenance-start');
      assert.match(started.summary, /alice put api in maintenance until 2026-01-05T10:30:00.000Z: migrating the database/);
      expectVerdict(g.requestPermit(A, T0 + MIN), 'observe', /api is in maintenance until 2026-01-05T10:30:00.000Z \(alice: migrating the database\): would run pm2-restart; plan recorded, no action taken/);
      g.releasePermit({ permitId: granted(g.requestPermit({ ...A, service: 'web' }, T0 + MIN)), outcome: 'failed' }, T0 + MIN);
      assert.deepEqual(serviceView(g, T0 + MIN).maintenance, { source: 'operator', until: '2026-01-05T10:30:00.000Z', by: 'alice', reason: 'migrating the database' });
      // The workflow wakes when the maintenance ends (the budget slot of web frees only after an hour).
      assert.equal(g.nextWakeAt(T0 + MIN), T0 + 30 * MIN);

      g.tick(T0 + 30 * MIN);
      const ended = lastAudit(g, T0 + 30 * MIN);
      assert.equal(ended.actor, 'governor');
      assert.match(ended.summary, /maintenance of api \(by alice: migrating the database\) ended as scheduled/);
      granted(g.requestPermit(A, T0 + 30 * MIN));

      g.receive('startMaintenance', { operator: 'bob', service: 'web', untilIso: '2026-01-05T12:00:00Z', reason: 'kernel update' }, T0 + 31 * MIN);
      g.receive('endMaintenance', { operator: 'bob', service: 'web', reason: 'done early' }, T0 + 40 * MIN);
      assert.match(lastAudit(g, T0 + 40 * MIN).summary, /bob ended the maintenance of web: done early/);
      assert.equal(serviceView(g, T0 + 40 * MIN, 'web').maintenance, null);
      g.receive('endMaintenance', { operator: 'bob', service: 'web' }, T0 + 41 * MIN);
      assert.equal(lastAudit(g, T0 + 41 * MIN).applied, false);
    });

    test('runtime maintenance in the past, too long, or with both or neither end is recorded and ignored', () => {
      const g = governor();
      const bad = [
        { operator: 'alice', service: 'api', untilIso: '2026-01-05T09:00:00Z', reason: 'x' },
        { operator: 'alice', service: 'api', durationMs: 8 * 24 * HOUR, reason: 'x' },
        { operator: 'alice', service: 'api', durationMs: HOUR, untilIso: '2026-01-05T12:00:00Z', reason: 'x' },
        { operator: 'alice', service: 'api', reason: 'x' },
        { operator: 'alice', service: 'api', durationMs: HOUR },
      ];
      for (const payload of bad) {
        g.receive('startMaintenance', payload, T0);
        const entry = lastAudit(g, T0);
        assert.equal(entry.kind, 'rejected', JSON.stringify(payload));
        assert.equal(entry.applied, false);
      }
      assert.equal(serviceView(g, T0).maintenance, null);
    });

    test('weekly windows from config, in UTC, including one across midnight; entering and leaving are recorded', () => {
      const windows = { api: [{ days: ['sat', 'sun'], from: '02:00', to: '04:00' }], web: [{ days: ['fri'], from: '22:00', to: '02:00' }] };
      const g = governor({ maintenance: windows });
      const sat0300 = Date.parse('2026-01-10T03:00:00Z');
      expectVerdict(g.requestPermit(A, sat0300), 'observe', /api is in maintenance until 2026-01-10T04:00:00.000Z \(configured window sat,sun 02:00-04:00 UTC\)/);
      const entered = g.view(sat0300).audit.find((e) => e.kind === 'maintenance-window' && e.service === 'api');
      assert.match(entered?.summary ?? '', /api entered its maintenance window \(sat,sun 02:00-04:00 UTC\)/);
      g.tick(Date.parse('2026-01-10T04:00:00Z'));
      assert.match(lastAudit(g, Date.parse('2026-01-10T04:00:00Z')).summary, /api left its maintenance window/);
      granted(g.requestPermit(A, Date.parse('2026-01-10T04:00:00Z')));

      // Friday 22:00 to Saturday 02:00: Saturday 01:00 is inside, Saturday 23:00 is not (it starts Fridays only).
      expectVerdict(g.requestPermit({ ...A, service: 'web' }, Date.parse('2026-01-10T01:00:00Z')), 'observe', /until 2026-01-10T02:00:00.000Z/);
      granted(g.requestPermit({ ...A, service: 'web' }, Date.parse('2026-01-10T23:00:00Z')));
      // An operator cannot end a configured window, and is told so.
      g.receive('endMaintenance', { operator: 'alice', service: 'api' }, Date.parse('2026-01-11T03:00:00Z'));
      assert.match(lastAudit(g, Date.parse('2026-01-11T03:00:00Z')).summary, /no operator had started one; its configured window \(sat,sun 02:00-04:00 UTC\) still holds/);
    });

    test('window arithmetic: active window and the next edge', () => {
      const daily = [{ from: '23:30', to: '00:30', timezone: 'UTC' as const }];
      assert.equal(activeWindow(daily, Date.parse('2026-01-05T00:10:00Z'))?.until, Date.parse('2026-01-05T00:30:00Z'));
      assert.equal(activeWindow(daily, Date.parse('2026-01-05T00:30:00Z')), null);
      assert.equal(nextWindowBoundary(daily, Date.parse('2026-01-05T12:00:00Z')), Date.parse('2026-01-05T23:30:00Z'));
      const weekly = [{ days: ['mon' as const], from: '09:00', to: '10:00', timezone: 'UTC' as const }];
      assert.equal(nextWindowBoundary(weekly, Date.parse('2026-01-05T10:00:00Z')), Date.parse('2026-01-12T09:00:00Z'));
      assert.equal(nextWindowBoundary([], T0), null);
    });
  });

  describe('modes', () => {
    test('the initial mode comes from the input; observe records the plan, frozen escalates everything', () => {
      const g = governor({}, 'observe');
      assert.equal(g.mode, 'observe');
      assert.deepEqual(g.view(T0).mode, { mode: 'observe', since: new Date(T0).toISOString(), by: 'config', reason: 'initial mode from config policy.mode' });
      expectVerdict(g.requestPermit(A, T0), 'observe', /observe mode \(set by config: initial mode from config policy.mode\): would run pm2-restart on api; plan recorded, no action taken/);

      g.receive('setMode', { operator: 'alice', mode: 'frozen', reason: 'incident review' }, T0 + 1);
      expectVerdict(g.requestPermit(A, T0 + 2), 'escalate', /automation is frozen \(mode frozen since .* set by alice: incident review\)/);
      // Frozen wins over maintenance.
      g.receive('startMaintenance', { operator: 'alice', service: 'api', durationMs: HOUR, reason: 'x' }, T0 + 3);
      expectVerdict(g.requestPermit(A, T0 + 4), 'escalate', /frozen/);

      g.receive('setMode', { operator: 'bob', mode: 'auto' }, T0 + 5);
      const audit = lastAudit(g, T0 + 5);
      assert.deepEqual({ kind: audit.kind, actor: audit.actor, applied: audit.applied }, { kind: 'mode', actor: 'bob', applied: true });
      assert.equal(audit.summary, 'bob set mode auto (was frozen)');
      granted(g.requestPermit({ ...A, service: 'web' }, T0 + 6));
      expectVerdict(g.requestPermit(A, T0 + 6), 'observe', /maintenance/);
    });
  });

  describe('operator changes: validated, allowlisted, recorded', () => {
    test('a bad payload is recorded and ignored', () => {
      const g = governor();
      g.receive('setMode', { operator: 'alice', mode: 'yolo' }, T0);
      let entry = lastAudit(g, T0);
      assert.deepEqual({ kind: entry.kind, actor: entry.actor, applied: entry.applied }, { kind: 'rejected', actor: 'alice', applied: false });
      assert.match(entry.summary, /^ignored setMode: mode: /);
      g.receive('setMode', { mode: 'frozen' }, T0);
      entry = lastAudit(g, T0);
      assert.equal(entry.actor, '(unknown)');
      assert.match(entry.summary, /operator/);
      g.receive('resetBreaker', 'not an object', T0);
      assert.equal(lastAudit(g, T0).kind, 'rejected');
      assert.equal(g.mode, 'auto');
    });

    test('operators outside the allowlist are recorded and ignored', () => {
      const g = governor({ operators: ['alice'] });
      g.receive('setMode', { operator: 'mallory', mode: 'frozen' }, T0);
      const entry = lastAudit(g, T0);
      assert.equal(entry.applied, false);
      assert.equal(entry.actor, 'mallory');
      assert.match(entry.summary, /ignored setMode from mallory: not on the operator allowlist \(alice\)/);
      assert.equal(g.mode, 'auto');
      g.receive('setMode', { operator: 'alice', mode: 'frozen' }, T0);
      assert.equal(g.mode, 'frozen');
      assert.deepEqual(g.view(T0).operators, ['alice']);
    });

    test('unknown services are refused, in signals and in permits', () => {
      const g = governor();
      g.receive('startMaintenance', { operator: 'alice', service: 'nope', durationMs: HOUR, reason: 'x' }, T0);
      assert.match(lastAudit(g, T0).summary, /unknown service "nope" \(configured: api, web\)/);
      expectVerdict(g.requestPermit({ ...A, service: 'nope' }, T0), 'escalate', /unknown service "nope"/);
    });

    test('a configure from a worker is recorded only when it changes something', () => {
      const g = governor();
      const before = g.view(T0).audit.length;
      const settings = governorSettingsSchema.parse({ knownServices: ['api', 'web'] });
      g.configure({ by: 'worker host-1', settings }, T0);
      assert.equal(g.view(T0).audit.length, before);
      g.configure({ by: 'worker host-1', settings: { ...settings, actionsPerHour: 2 } }, T0);
      const entry = lastAudit(g, T0);
      assert.equal(entry.kind, 'configured');
      assert.equal(entry.summary, 'settings changed by worker host-1: actionsPerHour');
      assert.equal(g.view(T0).settings.actionsPerHour, 2);
      g.configure({ by: 'x', settings: { actionsPerHour: -1 } }, T0);
      assert.equal(lastAudit(g, T0).kind, 'rejected');
      assert.equal(g.view(T0).settings.actionsPerHour, 2);
    });

    test('the audit in the state is bounded; the history keeps the rest', () => {
      const g = governor();
      for (let i = 0; i < AUDIT_LIMIT + 20; i++) g.receive('setMode', { operator: 'alice', mode: i % 2 ? 'auto' : 'observe' }, T0 + i);
      const audit = g.view(T0 + AUDIT_LIMIT + 20).audit;
      assert.equal(audit.length, AUDIT_LIMIT);
      assert.equal(audit.at(-1)?.seq, AUDIT_LIMIT + 21);
    });
  });

  describe('runtime limits (setLimits / clearLimits)', () => {
    const limitsOf = (g: GovernorState, now: number, name = 'api') => serviceView(g, now, name).limits;

    test('a lower actionsPerHour escalates for budget until cleared; both changes are in the audit with the operator', () => {
      const g = governor();
      for (const at of [T0, T0 + MIN]) g.releasePermit({ permitId: granted(g.requestPermit(A, at)), outcome: 'failed' }, at);
      g.receive('setLimits', { operator: 'alice', service: 'api', actionsPerHour: 2, reason: 'noisy deploy' }, T0 + 2 * MIN);
      const set = lastAudit(g, T0 + 2 * MIN);
      assert.deepEqual({ kind: set.kind, actor: set.actor, service: set.service, applied: set.applied }, { kind: 'limits-set', actor: 'alice', service: 'api', applied: true });
      assert.equal(
        set.summary,
        'alice set runtime limits of api: actionsPerHour 2 (was 6 from default; 2 used in the last hour): noisy deploy; they win over config until cleared (`zt limits clear api`)',
      );
      expectVerdict(g.requestPermit(A, T0 + 3 * MIN), 'escalate', /action budget spent: 2 automatic action\(s\) on api in the last hour \(limit 2\)/);
      assert.deepEqual(serviceView(g, T0 + 3 * MIN).budget, { used: 2, limit: 2, nextSlotAt: new Date(T0 + HOUR).toISOString() });
      assert.deepEqual(limitsOf(g, T0 + 3 * MIN).actionsPerHour, {
        value: 2,
        source: 'runtime',
        config: { value: 6, source: 'default' },
        runtime: { by: 'alice', since: new Date(T0 + 2 * MIN).toISOString(), reason: 'noisy deploy' },
      });
      // The other service keeps config's budget.
      granted(g.requestPermit({ ...A, service: 'web' }, T0 + 3 * MIN));

      g.receive('clearLimits', { operator: 'bob', service: 'api', reason: 'deploy done' }, T0 + 4 * MIN);
      const cleared = lastAudit(g, T0 + 4 * MIN);
      assert.deepEqual({ kind: cleared.kind, actor: cleared.actor, applied: cleared.applied }, { kind: 'limits-clear', actor: 'bob', applied: true });
      assert.equal(cleared.summary, 'bob cleared the runtime limits of api (actionsPerHour 2 → 6 from default): deploy done; config applies again');
      assert.deepEqual(limitsOf(g, T0 + 4 * MIN).actionsPerHour, { value: 6, source: 'default', config: { value: 6, source: 'default' } });
      granted(g.requestPermit(A, T0 + 4 * MIN));

      g.receive('clearLimits', { operator: 'bob', service: 'api' }, T0 + 5 * MIN);
      const nothing = lastAudit(g, T0 + 5 * MIN);
      assert.deepEqual({ kind: nothing.kind, applied: nothing.applied }, { kind: 'limits-clear', applied: false });
      assert.match(nothing.summary, /but it had none; config applies/);
    });

    test('precedence: runtime > config per-service override > config default, and a later configure does not erase runtime limits', () => {
      const g = governor({ services: { api: { actionsPerHour: 4, breaker: { windowMs: 30 * MIN } } } });
      const l0 = limitsOf(g, T0);
      assert.deepEqual(
        [l0.actionsPerHour.source, l0.maxInstanceShare.source, l0.breaker.maxRemediations.source, l0.breaker.windowMs.source],
        ['config', 'default', 'default', 'config'],
      );
      assert.deepEqual([l0.actionsPerHour.value, l0.breaker.windowMs.value], [4, 30 * MIN]);

      g.receive('setLimits', { operator: 'alice', service: 'api', actionsPerHour: 1, breaker: { windowMs: 2 * HOUR }, reason: 'flaky' }, T0);
      assert.match(lastAudit(g, T0).summary, /actionsPerHour 1 \(was 4 from config; 0 used in the last hour\), breaker\.windowMs 2 hours \(was 30 min from config\): flaky/);
      const l1 = limitsOf(g, T0);
      assert.deepEqual([l1.actionsPerHour.value, l1.actionsPerHour.source, l1.actionsPerHour.config.value], [1, 'runtime', 4]);
      assert.deepEqual([l1.breaker.windowMs.value, l1.breaker.windowMs.source], [2 * HOUR, 'runtime']);
      assert.equal(serviceView(g, T0).breaker.windowMs, 2 * HOUR);

      // A worker with a new config: settings change, the runtime limits keep winning, and the record says so.
      const settings = governorSettingsSchema.parse({ knownServices: ['api', 'web'], actionsPerHour: 10, services: { api: { actionsPerHour: 8 } } });
      g.configure({ by: 'worker host-1', settings }, T0 + 1);
      assert.equal(lastAudit(g, T0 + 1).summary, 'settings changed by worker host-1: actionsPerHour, services; runtime limits still win for api (`zt limits clear <service>` returns to config)');
      const l2 = limitsOf(g, T0 + 1);
      assert.deepEqual(l2.actionsPerHour, { ...l1.actionsPerHour, config: { value: 8, source: 'config' } });
      assert.deepEqual(l2.breaker.windowMs.config, { value: HOUR, source: 'default' });
      granted(g.requestPermit(A, T0 + 2));
      g.releasePermit({ permitId: serviceView(g, T0 + 2).lease!.permitId, outcome: 'failed' }, T0 + 2);
      expectVerdict(g.requestPermit(A, T0 + 3), 'escalate', /limit 1\)/);
      // web follows the new global value.
      assert.deepEqual(limitsOf(g, T0 + 3, 'web').actionsPerHour, { value: 10, source: 'default', config: { value: 10, source: 'default' } });

      g.receive('clearLimits', { operator: 'alice', service: 'api' }, T0 + 4);
      assert.match(lastAudit(g, T0 + 4).summary, /actionsPerHour 1 → 8 from config, breaker\.windowMs 2 hours → 1 hour from default/);
      assert.deepEqual(limitsOf(g, T0 + 4).actionsPerHour, { value: 8, source: 'config', config: { value: 8, source: 'config' } });
      granted(g.requestPermit(A, T0 + 5));
      // Without runtime limits a configure is recorded as before.
      g.configure({ by: 'worker host-2', settings: { ...settings, actionsPerHour: 11 } }, T0 + 6);
      assert.equal(lastAudit(g, T0 + 6).summary, 'settings changed by worker host-2: actionsPerHour');
    });

    test('a later set changes only the limits it names; the same limit set again is replaced', () => {
      const g = governor();
      g.receive('setLimits', { operator: 'alice', service: 'api', actionsPerHour: 2, reason: 'one' }, T0);
      g.receive('setLimits', { operator: 'bob', service: 'api', maxInstanceShare: 1, breaker: { maxRemediations: 5 }, reason: 'two' }, T0 + 1);
      g.receive('setLimits', { operator: 'bob', service: 'api', actionsPerHour: 3, reason: 'three' }, T0 + 2);
      const l = limitsOf(g, T0 + 2);
      assert.deepEqual(
        [l.actionsPerHour.value, l.actionsPerHour.runtime?.reason, l.maxInstanceShare.value, l.maxInstanceShare.runtime?.by, l.breaker.maxRemediations.value, l.breaker.windowMs.source],
        [3, 'three', 1, 'bob', 5, 'default'],
      );
      assert.match(lastAudit(g, T0 + 2).summary, /actionsPerHour 3 \(was 2 from runtime; 0 used in the last hour\)/);
    });

    test('blast radius and breaker follow the runtime limits', () => {
      const g = governor();
      expectVerdict(g.requestPermit({ ...A, takesOutOfService: 2 }, T0), 'escalate', /blast radius/);
      g.receive('setLimits', { operator: 'alice', service: 'api', maxInstanceShare: 1, breaker: { maxRemediations: 1 }, reason: 'two instances may go at once' }, T0);
      const id = granted(g.requestPermit({ ...A, takesOutOfService: 2 }, T0));
      // Lowering maxRemediations does not open the breaker by itself: the next verified remediation does.
      assert.equal(serviceView(g, T0).breaker.open, false);
      assert.equal(g.releasePermit({ permitId: id, outcome: 'verified' }, T0 + MIN).breakerOpened, true);
      expectVerdict(g.requestPermit(A, T0 + 2 * MIN), 'escalate', /remediated 1 times in the last hour/);
      // Clearing the limits does not close an open breaker: only a reset does.
      g.receive('clearLimits', { operator: 'alice', service: 'api' }, T0 + 3 * MIN);
      assert.equal(serviceView(g, T0 + 3 * MIN).breaker.open, true);
    });

    test('a shorter breaker window forgets older remediations at once', () => {
      const g = governor();
      g.releasePermit({ permitId: granted(g.requestPermit(A, T0)), outcome: 'verified' }, T0);
      g.releasePermit({ permitId: granted(g.requestPermit(A, T0 + 20 * MIN)), outcome: 'verified' }, T0 + 20 * MIN);
      assert.equal(serviceView(g, T0 + 25 * MIN).breaker.remediations, 2);
      g.receive('setLimits', { operator: 'alice', service: 'api', breaker: { windowMs: 10 * MIN }, reason: 'only recent ones count' }, T0 + 25 * MIN);
      assert.equal(serviceView(g, T0 + 25 * MIN).breaker.remediations, 1);
      assert.equal(g.nextWakeAt(T0 + 25 * MIN), T0 + 30 * MIN);
    });

    test('malformed limits are recorded and ignored, with the bounds of config', () => {
      const g = governor();
      const ok = { operator: 'alice', service: 'api', reason: 'x' };
      const bad: Array<[Record<string, unknown>, RegExp]> = [
        [{ ...ok }, /give at least one limit/],
        [{ ...ok, breaker: {} }, /give at least one limit/],
        [{ operator: 'alice', service: 'api', actionsPerHour: 2 }, /reason/],
        [{ ...ok, reason: '  ', actionsPerHour: 2 }, /reason is required/],
        [{ ...ok, actionsPerHour: -1 }, /actionsPerHour/],
        [{ ...ok, actionsPerHour: 10_001 }, /actionsPerHour/],
        [{ ...ok, actionsPerHour: 1.5 }, /actionsPerHour/],
        [{ ...ok, maxInstanceShare: 0 }, /maxInstanceShare/],
        [{ ...ok, maxInstanceShare: 1.5 }, /maxInstanceShare/],
        [{ ...ok, breaker: { maxRemediations: 0 } }, /breaker\.maxRemediations/],
        [{ ...ok, breaker: { windowMs: 500 } }, /breaker\.windowMs/],
        [{ ...ok, breaker: { windowMs: 8 * 24 * HOUR } }, /breaker\.windowMs/],
        [{ ...ok, actionPerHour: 2 }, /actionPerHour/],
        [{ ...ok, breaker: { max: 2 } }, /max/],
      ];
      for (const [payload, message] of bad) {
        g.receive('setLimits', payload, T0);
        const entry = lastAudit(g, T0);
        assert.deepEqual({ kind: entry.kind, applied: entry.applied }, { kind: 'rejected', applied: false }, JSON.stringify(payload));
        assert.match(entry.summary, /^ignored setLimits: /);
        assert.match(entry.summary, message, JSON.stringify(payload));
      }
      g.receive('clearLimits', { service: 'api' }, T0);
      assert.match(lastAudit(g, T0).summary, /^ignored clearLimits: operator/);
      assert.equal(g.snapshot().limits, undefined, 'nothing was set');
      assert.equal(serviceView(g, T0).budget.limit, 6);
    });

    test('the operator allowlist and unknown services apply as to every change', () => {
      const g = governor({ operators: ['alice'] });
      g.receive('setLimits', { operator: 'mallory', service: 'api', actionsPerHour: 100, reason: 'x' }, T0);
      assert.match(lastAudit(g, T0).summary, /ignored setLimits from mallory: not on the operator allowlist \(alice\)/);
      g.receive('setLimits', { operator: 'alice', service: 'nope', actionsPerHour: 1, reason: 'x' }, T0);
      assert.match(lastAudit(g, T0).summary, /ignored setLimits from alice: unknown service "nope" \(configured: api, web\)/);
      g.receive('clearLimits', { operator: 'alice', service: 'nope' }, T0);
      assert.match(lastAudit(g, T0).summary, /ignored clearLimits from alice: unknown service "nope"/);
      assert.equal(serviceView(g, T0).limits.actionsPerHour.source, 'default');

      g.receive('setLimits', { operator: 'alice', service: 'api', actionsPerHour: 1, reason: 'x' }, T0);
      g.receive('clearLimits', { operator: 'mallory', service: 'api' }, T0);
      assert.equal(lastAudit(g, T0).kind, 'rejected');
      assert.equal(serviceView(g, T0).limits.actionsPerHour.source, 'runtime');
    });

    test('runtime limits of a service that left the config stay visible and can still be cleared', () => {
      const g = governor();
      g.receive('setLimits', { operator: 'alice', service: 'web', actionsPerHour: 1, reason: 'x' }, T0);
      g.configure({ by: 'worker', settings: governorSettingsSchema.parse({ knownServices: ['api'] }) }, T0);
      assert.equal(serviceView(g, T0, 'web').limits.actionsPerHour.source, 'runtime');
      g.receive('clearLimits', { operator: 'alice', service: 'web' }, T0);
      const entry = lastAudit(g, T0);
      assert.deepEqual({ kind: entry.kind, applied: entry.applied }, { kind: 'limits-clear', applied: true });
      g.receive('clearLimits', { operator: 'alice', service: 'web' }, T0);
      assert.equal(lastAudit(g, T0).kind, 'rejected', 'nothing left to clear: an unknown service again');
    });

    test('runtime limits survive continueAsNew; a governor that never had one carries no limits field', () => {
      const g = governor();
      assert.equal('limits' in g.snapshot(), false);
      g.receive('setLimits', { operator: 'alice', service: 'api', actionsPerHour: 1, reason: 'x' }, T0);
      const carried = JSON.parse(JSON.stringify(g.snapshot())) as unknown;
      const next = new GovernorState({ mode: 'auto', settings: governorSettingsSchema.parse({}), carried }, T0 + 1, 'gov1');
      assert.deepEqual(serviceView(next, T0 + 1).limits, serviceView(g, T0 + 1).limits);
      granted(next.requestPermit(A, T0 + 1));
      expectVerdict(next.requestPermit({ ...A, requestId: 'other', incidentWorkflowId: 'x' }, T0 + 2), 'escalate', /limit 1\)/);
    });
  });

  test('the state survives continueAsNew as plain JSON', () => {
    const g = governor({ actionsPerHour: 4 });
    const held = granted(g.requestPermit(A, T0));
    g.receive('startMaintenance', { operator: 'alice', service: 'web', durationMs: HOUR, reason: 'x' }, T0);
    g.receive('setMode', { operator: 'alice', mode: 'observe' }, T0);
    const carried = JSON.parse(JSON.stringify(g.snapshot())) as unknown;
    const next = new GovernorState({ mode: 'auto', settings: governorSettingsSchema.parse({}), carried }, T0 + 1, 'gov1');
    const { generation, ...rest } = next.view(T0 + 1);
    const { generation: was, ...before } = g.view(T0 + 1);
    assert.equal(generation, was + 1);
    assert.deepEqual(rest, before);
    // Permit ids continue; the lease and its release carry over.
    next.receive('setMode', { operator: 'alice', mode: 'auto' }, T0 + 2);
    assert.equal(granted(next.requestPermit({ ...A, requestId: 'other' }, T0 + 2)), 'gov1-2');
    assert.equal(next.releasePermit({ permitId: held, outcome: 'failed' }, T0 + 3).released, true);
  });

  test('spans in words', () => {
    assert.equal(spanText(HOUR), 'hour');
    assert.equal(spanText(2 * HOUR), '2 hours');
    assert.equal(spanText(30 * MIN), '30 min');
    assert.equal(spanText(1500), '2 s');
  });
});
