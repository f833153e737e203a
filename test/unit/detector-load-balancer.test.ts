// Load-balancer imbalance rules, table-driven: skewed weights, skewed sessions, DOWN-while-healthy, and
// the deliberate states (drain, maint, weight 0, backups) that must never read as imbalance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceSchema } from '../../config/schema';
import type { StatRow } from '../../probes/haproxy-stat';
import { judgeBackend, recentSessions } from '../../sentinel/detectors/lb-imbalance';
import { instanceOfServer, loadBalancerDetector } from '../../sentinel/detectors/load-balancer';

function row(svname: string, status: string, weight: number, more: Partial<StatRow> = {}): StatRow {
  return {
    pxname: 'app', svname, type: 'server', status, weight, uweight: weight, scur: 0, smax: 0, stot: 0, lbtot: 0, act: 1, bck: 0,
    checkStatus: null, raw: {}, ...more,
  };
}
const cfg = { maxSkew: 0.3, minSessions: 10 };
const sessions = (o: Record<string, number>) => new Map(Object.entries(o));

const CASES: Array<{ name: string; servers: StatRow[]; sessions?: Record<string, number>; healthy?: Record<string, boolean>; failing: string[]; reason?: RegExp }> = [
  { name: 'equal weights, no traffic', servers: [row('a', 'UP', 100), row('b', 'UP', 100)], failing: [] },
  { name: 'weights 100 and 1 (positive)', servers: [row('a', 'UP', 100), row('b', 'UP', 1)], failing: ['a'], reason: /a holds 99% of the backend's weight \(100 of 101\)/ },
  { name: 'weights 70/30: exactly 1 - maxSkew (edge, positive)', servers: [row('a', 'UP', 70), row('b', 'UP', 30)], failing: ['a'] },
  { name: 'weights 69/31: just under (edge, negative)', servers: [row('a', 'UP', 69), row('b', 'UP', 31)], failing: [] },
  { name: 'weights 100/1 but the light one is DRAIN: deliberate', servers: [row('a', 'UP', 100), row('b', 'DRAIN', 1)], failing: [] },
  { name: 'weights 100/1 but the light one is in MAINT: deliberate', servers: [row('a', 'UP', 100), row('b', 'MAINT', 1)], failing: [] },
  { name: 'weight 0 is a drain by weight, not a skew', servers: [row('a', 'UP', 100), row('b', 'UP', 0)], failing: [] },
  { name: 'a backup server does not count as serving', servers: [row('a', 'UP', 100), row('b', 'UP', 1, { bck: 1 })], failing: [] },
  { name: 'a single server carries everything by definition', servers: [row('a', 'UP', 100)], failing: [] },
  { name: 'three equal servers', servers: [row('a', 'UP', 10), row('b', 'UP', 10), row('c', 'UP', 10)], failing: [] },
  { name: 'three servers, one with 80%', servers: [row('a', 'UP', 80), row('b', 'UP', 10), row('c', 'UP', 10)], failing: ['a'] },
  {
    name: 'equal weights, sessions 50/50',
    servers: [row('a', 'UP', 100), row('b', 'UP', 100)],
    sessions: { a: 25, b: 25 },
    failing: [],
  },
  {
    name: 'equal weights, sessions 90/10 (positive)',
    servers: [row('a', 'UP', 100), row('b', 'UP', 100)],
    sessions: { a: 18, b: 2 },
    failing: ['a'],
    reason: /a took 90% of 20 sessions against a 50% weight share/,
  },
  {
    name: 'equal weights, sessions 80/20: skew exactly maxSkew (edge, negative)',
    servers: [row('a', 'UP', 100), row('b', 'UP', 100)],
    sessions: { a: 16, b: 4 },
    failing: [],
  },
  {
    name: 'equal weights, 9 sessions all on one server: under minSessions',
    servers: [row('a', 'UP', 100), row('b', 'UP', 100)],
    sessions: { a: 9, b: 0 },
    failing: [],
  },
  {
    name: 'sessions of a draining server are not counted against the serving ones',
    servers: [row('a', 'UP', 100), row('b', 'UP', 100), row('c', 'DRAIN', 100)],
    sessions: { a: 10, b: 10, c: 40 },
    failing: [],
  },
  {
    name: 'DOWN server whose instance is healthy (positive)',
    servers: [row('a', 'UP', 100), row('b', 'DOWN', 100, { checkStatus: 'L7STS' })],
    healthy: { b: true },
    failing: ['b'],
    reason: /b is DOWN in HAProxy \(check L7STS\) while its instance answers its health check/,
  },
  { name: 'DOWN server whose instance is sick: the health detector’s incident', servers: [row('a', 'UP', 100), row('b', 'DOWN', 100)], healthy: { b: false }, failing: [] },
  { name: 'DOWN server of no known instance', servers: [row('a', 'UP', 100), row('b', 'DOWN', 100)], failing: [] },
  { name: 'MAINT server with a healthy instance: a human chose it', servers: [row('a', 'UP', 100), row('b', 'MAINT', 100)], healthy: { b: true }, failing: [] },
  { name: '"DOWN 1/2" (rising) with a healthy instance', servers: [row('a', 'UP', 100), row('b', 'DOWN 1/2', 100)], healthy: { b: true }, failing: ['b'] },
];

for (const c of CASES) {
  test(`judgeBackend: ${c.name}`, () => {
    const verdicts = judgeBackend(c.servers, c.sessions ? sessions(c.sessions) : null, new Map(Object.entries(c.healthy ?? {})), cfg);
    assert.deepEqual(verdicts.filter((v) => v.failing).map((v) => v.server), c.failing);
    assert.equal(verdicts.length, c.servers.length);
    if (c.reason) assert.match(verdicts.find((v) => v.failing)!.reasons.join('; '), c.reason);
    for (const v of verdicts) assert.equal(v.failing, v.reasons.length > 0);
  });
}

test('judgeBackend: a large maxSkew never flags evenly weighted servers', () => {
  const verdicts = judgeBackend([row('a', 'UP', 100), row('b', 'UP', 100)], null, new Map(), { maxSkew: 0.6, minSessions: 0 });
  assert.deepEqual(verdicts.filter((v) => v.failing), []);
});

const SESSION_CASES: Array<{ name: string; servers: StatRow[]; prev: Record<string, number> | null; want: Record<string, number> | null }> = [
  { name: 'first round, scur enough', servers: [row('a', 'UP', 1, { scur: 8, stot: 100 }), row('b', 'UP', 1, { scur: 4, stot: 50 })], prev: null, want: { a: 8, b: 4 } },
  { name: 'first round, too little open', servers: [row('a', 'UP', 1, { scur: 3 }), row('b', 'UP', 1, { scur: 2 })], prev: null, want: null },
  { name: 'stot delta when enough started', servers: [row('a', 'UP', 1, { stot: 110 }), row('b', 'UP', 1, { stot: 60 })], prev: { a: 100, b: 50 }, want: { a: 10, b: 10 } },
  { name: 'too few started: falls back to scur', servers: [row('a', 'UP', 1, { stot: 102, scur: 12 }), row('b', 'UP', 1, { stot: 51 })], prev: { a: 100, b: 50 }, want: { a: 12, b: 0 } },
  { name: 'counter reset (HAProxy reload) counts as zero, not negative', servers: [row('a', 'UP', 1, { stot: 3 }), row('b', 'UP', 1, { stot: 70 })], prev: { a: 100, b: 50 }, want: { a: 0, b: 20 } },
  { name: 'a server new since the last round starts at zero', servers: [row('a', 'UP', 1, { stot: 120 }), row('c', 'UP', 1, { stot: 40 })], prev: { a: 100 }, want: { a: 20, c: 0 } },
];

for (const c of SESSION_CASES) {
  test(`recentSessions: ${c.name}`, () => {
    const got = recentSessions(c.servers, c.prev ? sessions(c.prev) : null, 10);
    assert.deepEqual(got ? Object.fromEntries(got) : null, c.want);
  });
}

const service = serviceSchema.parse({ name: 'api', basePort: 3100, instances: 2 });
for (const [addr, want] of [
  ['127.0.0.1:3100', 0],
  ['127.0.0.1:3101', 1],
  ['127.0.0.1:3102', null],
  ['127.0.0.1:3099', null],
  ['10.0.0.5:3100', null],
  ['', null],
] as const) {
  test(`instanceOfServer: ${addr || '(no addr)'} → ${want}`, () => {
    assert.equal(instanceOfServer(service, row('s', 'UP', 1, { raw: { addr } })), want);
  });
}

test('the detector runs only for a service that names a load balancer', () => {
  const ctx = { pm2: null as never, sentinel: null as never, logger: null as never };
  assert.equal(loadBalancerDetector({ ...ctx, service }), null);
  const lb = serviceSchema.parse({ name: 'api', basePort: 3100, detectors: { loadBalancer: { haproxySocket: '/run/haproxy/admin.sock', backend: 'app' } } });
  const d = loadBalancerDetector({ ...ctx, service: lb });
  assert.equal(d?.name, 'load-balancer');
  assert.deepEqual(d?.damping, { samples: 3, failures: 3, holdDownMs: 30_000 });
});
