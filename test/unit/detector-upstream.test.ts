// Upstream failure: which probe results count as failing (refused, timeout, broken, 5xx — not 4xx), which
// error log lines name an upstream and how many fell in the window, the evidence an alert carries, the
// config's refusals, the combined damping, and observe rounds against real local HTTP servers with error
// lines fed the way the PM2 bus delivers them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { ConfigError, parseConfig } from '../../config/load';
import { serviceSchema } from '../../config/schema';
import { createLogger } from '../../observability/logger';
import type { Pm2ErrorLog } from '../../pm2/client';
import type { ProbeResult } from '../../probes/http-health';
import { runDetector } from '../../sentinel/run-detector';
import type { ErrorLogSource } from '../../sentinel/detectors/service-error-log';
import { combinedDamping, describeUpstream, judgeUpstream, upstreamDetector, upstreamFailing } from '../../sentinel/detectors/upstream';
import { errorPatterns, errorPatternSources, logLines, MAX_TRACKED_LINES, quoteLine, UpstreamErrorWindow } from '../../sentinel/detectors/upstream-errors';
import { freePortRange } from '../helpers/system';

const r = (outcome: ProbeResult['outcome'], httpStatus: number | null = null, error?: string): ProbeResult => ({ outcome, httpStatus, latencyMs: 5, ...(error ? { error } : {}) });
const u = { name: 'payments', url: 'http://127.0.0.1:9/healthz', timeoutMs: 700, intervalMs: 1000 };

for (const [result, failing, summary] of [
  [r('ok', 200), false, /payments answers again \(HTTP 200, 5 ms\)/],
  [r('unhealthy', 404), false, /answers again \(HTTP 404/],
  [r('unhealthy', 429), false, /answers again/],
  [r('unhealthy', 500), true, /answers HTTP 500/],
  [r('unhealthy', 503), true, /answers HTTP 503/],
  [r('refused', null, 'ECONNREFUSED'), true, /refuses connections \(nothing listening\)/],
  [r('timeout'), true, /did not answer within 700 ms/],
  [r('error', null, 'ECONNRESET'), true, /fails to connect \(ECONNRESET\)/],
] as const) {
  test(`upstream probe ${result.outcome}${result.httpStatus ? ` ${result.httpStatus}` : ''} → failing=${failing}`, () => {
    assert.equal(upstreamFailing(result), failing);
    assert.match(describeUpstream('api', u, result), summary);
  });
}

test('combined damping is the most patient of the upstreams (default for those that set none)', () => {
  assert.deepEqual(combinedDamping([{ ...u }]), { samples: 3, failures: 3, holdDownMs: 30_000 });
  assert.deepEqual(
    combinedDamping([
      { ...u, damping: { samples: 5, failures: 2, holdDownMs: 1000 } },
      { ...u, damping: { samples: 2, failures: 2, holdDownMs: 9000 } },
    ]),
    { samples: 5, failures: 2, holdDownMs: 9000 },
  );
});

/**
 * The PM2 bus's `log:err` stream without a daemon: every subscriber gets what `emit` is handed, as
 * Pm2Client.onErrorLog delivers it. `failSubscribe` makes the next subscriptions fail like a bus that
 * cannot be launched.
 */
class ErrorLogBus implements ErrorLogSource {
  readonly listeners = new Set<(log: Pm2ErrorLog) => void>();
  failSubscribe = false;
  async onErrorLog(listener: (log: Pm2ErrorLog) => void): Promise<() => void> {
    if (this.failSubscribe) throw new Error('pm2 launchBus did not answer within 15000 ms');
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  emit(name: string, text: string, pmId = 0): void {
    for (const l of this.listeners) l({ text, at: Date.now(), process: { pmId, name } });
  }
}

const logger = createLogger('test');
const ctx = { pm2: new ErrorLogBus() as never, sentinel: null as never, logger };

test('no upstreams configured: no detector', () => {
  assert.equal(upstreamDetector({ ...ctx, service: serviceSchema.parse({ name: 'api', basePort: 3100 }) }), null);
  assert.equal(upstreamDetector({ ...ctx, service: serviceSchema.parse({ name: 'api', basePort: 3100, detectors: { upstreams: [] } }) }), null);
});

test('one round: a healthy, a 503 and a refused upstream; a slow-interval upstream is probed only when due', async (t) => {
  const server = http.createServer((req, res) => {
    res.statusCode = req.url === '/bad' ? 503 : 200;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const closed = await freePortRange(1);
  const service = serviceSchema.parse({
    name: 'api',
    basePort: 3100,
    detectors: {
      upstreams: [
        { name: 'ok', url: `http://127.0.0.1:${port}/ok`, intervalMs: 200 },
        { name: 'bad', url: `http://127.0.0.1:${port}/bad`, intervalMs: 200 },
        { name: 'gone', url: `http://127.0.0.1:${closed}/`, intervalMs: 200 },
        { name: 'slow-interval', url: `http://127.0.0.1:${port}/ok`, intervalMs: 60_000 },
      ],
    },
  });
  const d = upstreamDetector({ ...ctx, pm2: new ErrorLogBus() as never, service })!;
  assert.equal(d.intervalMs, 200);
  const first = await d.observe();
  assert.deepEqual(
    first.map((o) => [o.subject, o.failing, o.alertName, o.labels?.outcome]),
    [
      ['upstream:ok', false, 'UpstreamFailure', 'ok'],
      ['upstream:bad', true, 'UpstreamFailure', 'unhealthy'],
      ['upstream:gone', true, 'UpstreamFailure', 'refused'],
      ['upstream:slow-interval', false, 'UpstreamFailure', 'ok'],
    ],
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual((await d.observe()).map((o) => o.subject), ['upstream:ok', 'upstream:bad', 'upstream:gone']);
});

const upstream = (fields: Record<string, unknown>) => serviceSchema.parse({ name: 'api', basePort: 3100, detectors: { upstreams: [{ name: 'translator', ...fields }] } }).detectors.upstreams![0]!;

test('error patterns default to the name as a whole word and the url host[:port]; configured ones replace them', () => {
  const named = (fields: Record<string, unknown>, line: string) => errorPatterns(upstream(fields)).some((p) => p.test(line));
  assert.equal(errorPatternSources(upstream({})).length, 1);
  assert.equal(named({}, 'upstream translator (http://10.0.0.7:8080/t) failed: connect ECONNREFUSED 10.0.0.7:8080'), true);
  assert.equal(named({}, 'Translator: socket hang up'), true, 'case-insensitive');
  assert.equal(named({}, 'translators queue is full'), false, 'not inside a longer word');
  assert.equal(named({}, 'translator-cache miss'), false, 'not inside a longer hyphenated name');

  const withUrl = { url: 'http://10.0.0.7:8080/translate' };
  assert.equal(errorPatternSources(upstream(withUrl)).length, 2);
  assert.equal(named(withUrl, 'request failed: connect ECONNREFUSED 10.0.0.7:8080'), true, 'the host:port connection errors quote');
  assert.equal(named(withUrl, 'connect ECONNREFUSED 10.0.0.7:80801'), false, 'another port');
  assert.equal(named(withUrl, 'connect ECONNREFUSED 110.0.0.7:8080'), false, 'another host');
  assert.equal(named({ url: 'https://payments.internal/health' }, 'getaddrinfo ENOTFOUND payments.internal'), true);
  assert.equal(named({ url: 'https://payments.internal/health' }, 'getaddrinfo ENOTFOUND eu.payments.internal'), false);

  const custom = { url: 'http://10.0.0.7:8080/translate', errorPatterns: ['DeepL API (5\\d\\d|timeout)'] };
  assert.deepEqual(errorPatternSources(upstream(custom)), ['DeepL API (5\\d\\d|timeout)']);
  assert.equal(named(custom, 'deepl api 503 for job 42'), true);
  assert.equal(named(custom, 'upstream translator failed'), false, 'the defaults are replaced, not added to');
});

test('error lines: chunks split into non-blank lines; summaries quote the message of a JSON line, trimmed', () => {
  assert.deepEqual(logLines('first\r\nsecond\n\n  \nthird'), ['first', 'second', 'third']);
  assert.deepEqual(logLines('no newline yet'), ['no newline yet']);
  const json = JSON.stringify({ time: '2026-11-30T12:00:00.000Z', level: 'error', service: 'api', msg: 'upstream translator (http://h:1) failed: boom' });
  assert.equal(quoteLine(json), 'upstream translator (http://h:1) failed: boom');
  assert.equal(quoteLine('{"message":"winston style"}'), 'winston style');
  assert.equal(quoteLine('{not json translator'), '{not json translator');
  const long = quoteLine(`Error: translator ${'x'.repeat(500)}`);
  assert.equal(long.length, 200);
  assert.ok(long.endsWith('…'));
});

test('the error window counts matching lines within windowMs and forgets older ones', () => {
  const w = new UpstreamErrorWindow(errorPatterns(upstream({})), 10_000);
  assert.equal(w.offer('all fine', 1_000), false);
  assert.equal(w.offer('upstream translator failed: ECONNREFUSED', 1_000), true);
  assert.equal(w.offer('upstream translator failed: timeout', 5_000), true);
  assert.equal(w.offer('upstream translator failed: HTTP 503', 9_000), true);
  assert.equal(w.count(9_000), 3);
  assert.equal(w.latest(9_000)?.line, 'upstream translator failed: HTTP 503');
  assert.equal(w.count(11_000), 2, 'the line at 1 s is out of a 10 s window at 11 s');
  assert.equal(w.count(18_999), 1);
  assert.equal(w.latest(18_999)?.at, 9_000);
  assert.equal(w.count(19_000), 0);
  assert.equal(w.latest(19_000), null, 'no quote older than the window');

  const flood = new UpstreamErrorWindow(errorPatterns(upstream({})), 60_000);
  for (let i = 0; i < MAX_TRACKED_LINES + 50; i++) flood.offer('translator down', i);
  assert.equal(flood.count(MAX_TRACKED_LINES + 50), MAX_TRACKED_LINES, 'a flood of lines is bounded');
});

test('evidence: probe, errors, both or none, in the labels and the summary', () => {
  const u = upstream({ url: 'http://10.0.0.7:8080/healthz', errorsToAlert: 3, errorWindowMs: 20_000 });
  const quiet = { count: 0, latest: null };
  const loud = { count: 4, latest: JSON.stringify({ level: 'error', msg: 'upstream translator (http://10.0.0.7:8080) failed: connect ECONNREFUSED 10.0.0.7:8080' }) };

  const none = judgeUpstream('api', u, r('ok', 200), { count: 2, latest: 'translator slow' });
  assert.equal(none.failing, false);
  assert.equal(none.labels?.evidence, undefined);
  assert.equal(none.labels?.errorLines, '2');
  assert.match(none.summary, /answers again .* api logged 2 error lines naming its upstream translator in the last 20 s \(alerts at 3\)\./);

  const probe = judgeUpstream('api', u, r('refused', null, 'ECONNREFUSED'), quiet);
  assert.deepEqual([probe.failing, probe.labels?.evidence, probe.labels?.outcome], [true, 'probe', 'refused']);
  assert.match(probe.summary, /^api's upstream translator \(http:\/\/10\.0\.0\.7:8080\/healthz\) refuses connections/);

  const errors = judgeUpstream('api', u, r('ok', 200), loud);
  assert.deepEqual([errors.failing, errors.labels?.evidence, errors.labels?.errorLines], [true, 'errors', '4']);
  assert.equal(errors.summary, 'api logged 4 error lines naming its upstream translator in the last 20 s; latest: "upstream translator (http://10.0.0.7:8080) failed: connect ECONNREFUSED 10.0.0.7:8080"');

  const both = judgeUpstream('api', u, r('unhealthy', 503), loud);
  assert.deepEqual([both.failing, both.labels?.evidence, both.labels?.httpStatus], [true, 'probe+errors', '503']);
  assert.match(both.summary, /answers HTTP 503\. api logged 4 error lines/);

  const errorsOnly = judgeUpstream('api', upstream({}), null, { count: 5, latest: 'translator down' });
  assert.deepEqual([errorsOnly.failing, errorsOnly.labels?.evidence, errorsOnly.labels?.url, errorsOnly.labels?.outcome], [true, 'errors', undefined, undefined]);
  assert.equal(judgeUpstream('api', upstream({}), null, { count: 4, latest: 'translator down' }).failing, false, 'below errorsToAlert (5 by default)');
});

test('config: url optional, error defaults, and refusals that name the field', () => {
  const u = upstream({});
  assert.deepEqual([u.url, u.errorPatterns, u.errorsToAlert, u.errorWindowMs], [undefined, undefined, 5, 30_000]);
  const refused = (fields: Record<string, unknown>, message: RegExp) =>
    assert.throws(
      () => parseConfig({ services: [{ name: 'api', basePort: 3100, detectors: { upstreams: [{ name: 'translator', ...fields }] } }] }),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
    );
  refused({ errorPatterns: ['translator', 'DeepL ('] }, /services\.0\.detectors\.upstreams\.0\.errorPatterns\.1: not a valid regular expression: .*Unterminated group/);
  refused({ errorPatterns: [] }, /services\.0\.detectors\.upstreams\.0\.errorPatterns: /);
  refused({ errorPatterns: [''] }, /services\.0\.detectors\.upstreams\.0\.errorPatterns\.0: /);
  refused({ errorsToAlert: 1 }, /services\.0\.detectors\.upstreams\.0\.errorsToAlert: /);
  refused({ url: 'translator:8080' }, /services\.0\.detectors\.upstreams\.0\.url: must be an http\(s\) URL/);
});

test('observe: error lines of the service only, from the bus, counted per upstream; a url-less upstream is judged by them alone', async () => {
  const bus = new ErrorLogBus();
  const service = serviceSchema.parse({
    name: 'api',
    basePort: 3100,
    detectors: { upstreams: [{ name: 'translator', errorsToAlert: 3, intervalMs: 100 }, { name: 'payments', errorPatterns: ['stripe'], intervalMs: 100 }] },
  });
  const d = upstreamDetector({ ...ctx, pm2: bus as never, service })!;
  const first = await d.observe();
  assert.deepEqual(first.map((o) => [o.subject, o.failing, o.labels?.errorLines]), [['upstream:translator', false, '0'], ['upstream:payments', false, '0']]);
  assert.equal(bus.listeners.size, 1, 'one subscription for the detector');

  bus.emit('api', 'upstream translator failed: ECONNREFUSED\nupstream translator failed: ECONNREFUSED\n', 0);
  bus.emit('worker', 'upstream translator failed: ECONNREFUSED\n', 3);
  bus.emit('api', 'stripe said 500\n', 1);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual((await d.observe()).map((o) => [o.subject, o.failing, o.labels?.errorLines]), [['upstream:translator', false, '2'], ['upstream:payments', false, '1']], "another app's lines do not count");

  bus.emit('api', '{"level":"error","msg":"upstream translator failed: socket hang up"}\n', 1);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const third = await d.observe();
  assert.deepEqual([third[0]!.failing, third[0]!.labels?.evidence, third[0]!.labels?.errorLines], [true, 'errors', '3']);
  assert.match(third[0]!.summary, /api logged 3 error lines naming its upstream translator in the last 30 s; latest: "upstream translator failed: socket hang up"$/);

  await d.stop?.();
  assert.equal(bus.listeners.size, 0, 'stop unsubscribes');
});

test('observe: while the error log cannot be followed, url-less upstreams are left out and probed ones still judged', async (t) => {
  const server = http.createServer((_req, res) => res.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const bus = new ErrorLogBus();
  bus.failSubscribe = true;
  const service = serviceSchema.parse({
    name: 'api',
    basePort: 3100,
    detectors: { upstreams: [{ name: 'translator', intervalMs: 100 }, { name: 'payments', url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, intervalMs: 100 }] },
  });
  const d = upstreamDetector({ ...ctx, pm2: bus as never, service })!;
  const blind = await d.observe();
  assert.deepEqual(blind.map((o) => [o.subject, o.failing, o.labels?.outcome, o.labels?.errorLines]), [['upstream:payments', false, 'ok', undefined]]);

  bus.failSubscribe = false;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual((await d.observe()).map((o) => o.subject), ['upstream:translator', 'upstream:payments'], 'the subscription is retried');
  await d.stop?.();
  assert.equal(bus.listeners.size, 0);
});

test('through the runner: one error line raises nothing, five do; stopping twice stops the detector once and unsubscribes it', async () => {
  const bus = new ErrorLogBus();
  const service = serviceSchema.parse({ name: 'api', basePort: 3100, detectors: { upstreams: [{ name: 'translator', intervalMs: 100, damping: { samples: 1, failures: 1 } }] } });
  const detector = upstreamDetector({ ...ctx, pm2: bus as never, service })!;
  const alerts: string[] = [];
  const runner = runDetector({ service, detector, sink: async (a) => void alerts.push(...a.map((x) => `${x.name}:${x.status}:${x.labels?.evidence}`)), logger });
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(bus.listeners.size, 1);
  bus.emit('api', 'translator down\n');
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.deepEqual(alerts, [], 'a single error line is not an incident, even undamped');
  for (let i = 0; i < 4; i++) bus.emit('api', 'translator down\n');
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.deepEqual(alerts, ['UpstreamFailure:firing:errors']);
  await Promise.all([runner.stop(), runner.stop()]);
  assert.equal(bus.listeners.size, 0);
});
