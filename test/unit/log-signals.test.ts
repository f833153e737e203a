// Log signals: the shipped patterns recognise real Node, database and payment error messages and leave an
// ordinary crash log alone; the window, the bounds and the masking keep the evidence recent, small and free
// of secrets; a bad pattern is refused naming its file and field; the tail reader never reads a whole file.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collectLogEvidence } from '../../activities/log-evidence';
import { pm2Process } from '../helpers/evidence';
import { CatalogError, loadCatalog } from '../../policy/catalog/load';
import {
  compileLogSignals,
  lineTime,
  LOG_TAIL_BYTES,
  maskSecrets,
  matchLogLines,
  MATCH_LINE_CHARS,
  QUOTE_CHARS,
  QUOTES_PER_EVIDENCE,
  QUOTES_PER_LOG,
  QUOTES_PER_SIGNAL,
  quoteMatch,
  recentLines,
} from '../../policy/log-signals';
import type { Pm2Process } from '../../pm2/client';
import { readLogTail } from '../../probes/log-tail';

const dir = mkdtempSync(path.join(os.tmpdir(), 'zt-log-signals-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function tmp(name: string, content: string): string {
  const f = path.join(dir, `${++n}-${name}`);
  writeFileSync(f, content);
  return f;
}
const catalogFile = (content: unknown) => tmp('catalog.json', JSON.stringify(content));

const shipped = loadCatalog();
const signals = compileLogSignals(shipped.settings.logSignals);
const matchOne = (line: string) => matchLogLines([line], signals).map((m) => m.signal);
const matchMany = (line: string, times: number) => matchLogLines(Array.from({ length: times }, () => line), signals).map((m) => m.signal);

describe('shipped log signals', () => {
  const positives: Array<[string, string]> = [
    ['sensitive-file-denied', "Error: EACCES: permission denied, open '/etc/ssl/private/api.key'"],
    ['sensitive-file-denied', "Error: EPERM: operation not permitted, open '/run/secrets/db_password'"],
    ['sensitive-file-denied', "[Error: EACCES: permission denied, open '/srv/app/.env'] { errno: -13, code: 'EACCES', syscall: 'open' }"],
    ['tls-certificate', 'Error: certificate has expired\n    at TLSSocket.onConnectSecure (node:_tls_wrap:1674:34) { code: \'CERT_HAS_EXPIRED\' }'],
    ['tls-certificate', "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: api.example.com. is not in the cert's altnames"],
    ['tls-certificate', 'FetchError: request to https://idp.internal/token failed, reason: unable to verify the first certificate'],
    ['tls-certificate', 'Error: self-signed certificate in certificate chain'],
    ['decryption-failed', 'Error: Unsupported state or unable to authenticate data\n    at Decipheriv.final (node:internal/crypto/cipher:193:29)'],
    ['decryption-failed', "Error: error:1C800064:Provider routines::bad decrypt { library: 'Provider routines', reason: 'bad decrypt', code: 'ERR_OSSL_BAD_DECRYPT' }"],
    ['auth-config-broken', 'Error: secretOrPrivateKey must have a value'],
    ['auth-config-broken', 'TypeError: JwtStrategy requires a secret or key'],
    ['auth-config-broken', 'OAuth token request failed: 401 {"error":"invalid_client","error_description":"Client authentication failed"}'],
    ['credentials-rejected', 'error: password authentication failed for user "app"'],
    ['credentials-rejected', "Error: ER_ACCESS_DENIED_ERROR: Access denied for user 'app'@'10.0.0.3' (using password: YES)"],
    ['credentials-rejected', 'MongoServerError: Authentication failed.'],
    ['credentials-rejected', 'ReplyError: WRONGPASS invalid username-password pair or user is disabled.'],
    ['payment-provider', 'StripeConnectionError: An error occurred with our connection to Stripe. Request was retried 2 times.'],
    ['payment-provider', 'StripeAuthenticationError: Invalid API Key provided: sk_live_****1234'],
    ['payment-provider', 'Error: connect ETIMEDOUT api.stripe.com:443'],
    ['payment-provider', 'braintree transaction.sale failed: gateway timed out'],
    ['payment-provider', 'payment gateway request failed: 503 Service Unavailable'],
    ['db-constraint-violation', 'error: duplicate key value violates unique constraint "orders_idempotency_key_key"'],
    ['db-constraint-violation', 'error: insert or update on table "order_items" violates foreign key constraint "order_items_order_id_fkey"'],
    ['db-constraint-violation', "Error: ER_DUP_ENTRY: Duplicate entry 'abc-123' for key 'orders.idempotency_key'"],
    ['db-constraint-violation', 'MongoServerError: E11000 duplicate key error collection: shop.orders index: ref_1 dup key: { ref: "A1" }'],
    ['db-constraint-violation', 'PrismaClientKnownRequestError: Unique constraint failed on the fields: (`email`)'],
    ['db-transaction-conflict', 'error: deadlock detected'],
    ['db-transaction-conflict', 'error: could not serialize access due to concurrent update'],
    ['db-transaction-conflict', 'error: current transaction is aborted, commands ignored until end of transaction block'],
    ['db-transaction-conflict', "Error: ER_LOCK_DEADLOCK: Deadlock found when trying to get lock; try restarting transaction"],
    ['db-replication', 'error: cannot execute INSERT in a read-only transaction'],
    ['db-replication', "ReplyError: READONLY You can't write against a read only replica."],
    ['db-replication', 'MongoServerError: not primary and secondaryOk=false'],
    ['data-corruption', 'Error: SQLITE_CORRUPT: database disk image is malformed'],
    ['data-corruption', 'error: invalid page in block 4711 of relation base/16384/24576'],
  ];
  for (const [signal, line] of positives) {
    test(`${signal}: ${line.slice(0, 70)}`, () => assert.deepEqual(matchOne(line), [signal]));
  }

  test('bursts: token, CSRF and "unauthorized" lines count only from their minimum', () => {
    assert.deepEqual(matchMany('UnauthorizedError: jwt malformed', 4), [], 'four rejected tokens are ordinary');
    assert.deepEqual(matchMany('UnauthorizedError: jwt malformed', 5), ['auth-token-invalid']);
    assert.deepEqual(matchMany('TokenExpiredError: jwt expired', 1), []);
    assert.deepEqual(matchMany('ForbiddenError: invalid csrf token', 4), []);
    assert.deepEqual(matchMany('ForbiddenError: invalid csrf token', 5), ['csrf-rejected']);
    assert.deepEqual(matchMany('GET /api/account 401 Unauthorized', 19), []);
    assert.deepEqual(matchMany('GET /api/account 401 Unauthorized', 20), ['auth-failure-burst']);
  });

  const ordinary = [
    'Error: listen EADDRINUSE: address already in use 127.0.0.1:3100',
    'Error: listen EACCES: permission denied 0.0.0.0:80',
    "Error: EACCES: permission denied, mkdir '/var/log/localize-api'",
    "Error: EACCES: permission denied, open '/app/uploads/avatar.png'",
    "TypeError: Cannot read properties of undefined (reading 'id')",
    '    at Object.<anonymous> (/srv/app/server.js:10:5)',
    '    at Module._compile (node:internal/modules/cjs/loader:1358:14)',
    'Error: connect ECONNREFUSED 127.0.0.1:5432',
    'Error: read ECONNRESET',
    'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
    "Error: Cannot find module 'express'",
    'SyntaxError: Unexpected token } in JSON at position 10',
    'error: relation "users" does not exist',
    'error: null value in column "name" of relation "users" violates not-null constraint',
    'StripeCardError: Your card was declined.',
    'AxiosError: Request failed with status code 401',
    'TokenExpiredError: jwt expired',
    '(node:4242) [DEP0005] DeprecationWarning: Buffer() is deprecated due to security and usability issues.',
    'UnhandledPromiseRejectionWarning: Error: timeout of 5000ms exceeded',
    '{"time":"2026-01-01T00:00:00.000Z","level":"error","service":"localize-api","instance":0,"pid":7,"msg":"exiting with code 1: crash fault"}',
    '{"time":"2026-01-01T00:00:00.000Z","level":"error","service":"localize-api","instance":0,"pid":7,"msg":"hang fault: blocking the event loop until killed"}',
    '{"level":"error","msg":"upstream translator (http://127.0.0.1:9) failed: connect ECONNREFUSED 127.0.0.1:9"}',
  ];
  test('an ordinary crash log escalates nothing', () => {
    assert.deepEqual(matchLogLines(ordinary, signals), []);
  });

  test('every shipped signal carries a risk flag and is described', () => {
    for (const s of shipped.settings.logSignals) {
      assert.ok(s.risk, `${s.name} has a risk`);
      assert.ok((s.description ?? '').length > 20, `${s.name} is described`);
    }
    assert.deepEqual(shipped.settings.logStreams, ['err']);
    assert.equal(shipped.settings.logWindowMinutes, 10);
  });
});

describe('matching bounds and quoting', () => {
  const custom = compileLogSignals([
    { name: 'boom', pattern: 'boom', caseSensitive: false, minMatches: 1, enabled: true, risk: 'security' },
    { name: 'bang', pattern: 'BANG', caseSensitive: true, minMatches: 1, enabled: true },
    { name: 'off', pattern: 'boom', caseSensitive: false, minMatches: 1, enabled: false, risk: 'billing' },
  ]);

  test('counts every matching line, quotes a few distinct latest ones, each trimmed', () => {
    const lines = Array.from({ length: 150 }, (_, i) => `boom ${i % 10} ${'x'.repeat(1000)}`);
    const [m] = matchLogLines(lines, custom);
    assert.equal(m!.signal, 'boom');
    assert.equal(m!.count, 150);
    assert.equal(m!.risk, 'security');
    assert.equal(m!.lines.length, QUOTES_PER_SIGNAL);
    assert.ok(m!.lines.every((l) => l.length <= QUOTE_CHARS), 'each quote is bounded');
    assert.match(m!.lines[0]!, /^boom 9 x+…$/, 'the latest line first, cut at the end');
  });

  test('identical lines are quoted once; a disabled signal never matches; case sensitivity is honoured', () => {
    const result = matchLogLines(['Boom', 'boom', 'bang', 'BANG'], custom);
    assert.deepEqual(result, [
      { signal: 'boom', risk: 'security', count: 2, lines: ['boom', 'Boom'] },
      { signal: 'bang', risk: null, count: 1, lines: ['BANG'] },
    ]);
    assert.deepEqual(matchLogLines(['Boom', 'Boom'], custom)[0]!.lines, ['Boom']);
  });

  test('quotes per log are bounded across signals', () => {
    const many = compileLogSignals(Array.from({ length: 12 }, (_, i) => ({ name: `s${i}`, pattern: `s${i}\\b`, caseSensitive: false, minMatches: 1, enabled: true })));
    const lines = Array.from({ length: 12 }, (_, i) => [`s${i} a`, `s${i} b`, `s${i} c`]).flat();
    const result = matchLogLines(lines, many);
    assert.equal(result.length, 12, 'every signal is still counted');
    assert.equal(result.reduce((sum, m) => sum + m.lines.length, 0), QUOTES_PER_LOG);
  });

  test('a very long line is matched on its first characters only', () => {
    assert.equal(matchLogLines([`${'y'.repeat(MATCH_LINE_CHARS)}boom`], custom).length, 0);
    assert.equal(matchLogLines([`${'y'.repeat(MATCH_LINE_CHARS - 10)}boom`], custom).length, 1);
  });

  test('a JSON line quotes the message that matched; a long line is cut around the match', () => {
    const line = JSON.stringify({ time: 1, level: 50, msg: 'insert failed', err: { type: 'DatabaseError', message: 'duplicate key value violates unique constraint "users_pkey"', stack: 'x'.repeat(5000) } });
    assert.equal(quoteMatch(line, /duplicate key/i), 'duplicate key value violates unique constraint "users_pkey"');
    const long = `${'a'.repeat(1000)} deadlock detected ${'b'.repeat(1000)}`;
    const q = quoteMatch(long, /deadlock detected/);
    assert.ok(q.length <= QUOTE_CHARS && q.includes('deadlock detected') && q.startsWith('…') && q.endsWith('…'), q);
  });

  test('secrets are masked before they reach the evidence', () => {
    const masked = maskSecrets(
      'jwt malformed for eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghij from bob@example.com, Authorization: Bearer abcdef123456789 password=hunter22 card 4242 4242 4242 4242',
    );
    assert.equal(masked, 'jwt malformed for <jwt> from <email>, Authorization: Bearer <redacted> password=<redacted> card <number>');
  });
});

describe('recent lines', () => {
  const now = Date.parse('2026-05-01T12:00:00Z');
  const windowMs = 10 * 60_000;

  test('line times: JSON time fields (ISO, ms, s) and leading stamps; none for a plain line', () => {
    assert.equal(lineTime('{"time":"2026-05-01T11:55:00.000Z","msg":"x"}'), Date.parse('2026-05-01T11:55:00Z'));
    assert.equal(lineTime(`{"level":50,"time":${now},"msg":"x"}`), now);
    assert.equal(lineTime(`{"ts":${now / 1000},"msg":"x"}`), now);
    assert.equal(lineTime('2026-05-01T11:50:00.123Z: Error: boom'), Date.parse('2026-05-01T11:50:00.123Z'));
    assert.equal(lineTime('2026-05-01 13:50:00 +02:00: Error: boom'), Date.parse('2026-05-01T11:50:00Z'));
    assert.equal(lineTime('[2026-05-01 11:50:00,5Z] boom'), Date.parse('2026-05-01T11:50:00.5Z'));
    assert.equal(lineTime('Error: boom'), null);
    assert.equal(lineTime('    at foo (/srv/app.js:1:1)'), null);
  });

  test('lines known to be older than the window are left out; undated lines take the time of the next dated one', () => {
    const text = [
      '2026-05-01T11:00:00Z: old boom',
      '    at old (/srv/app.js:1:1)',
      '2026-05-01T11:20:00Z: old too',
      '',
      'undated, before a recent line',
      '2026-05-01T11:55:00Z: recent boom',
      '    at recent (/srv/app.js:2:2)',
    ].join('\n');
    const r = recentLines(text, { now, windowMs, fileMtime: now - 1000 });
    assert.deepEqual(r.lines, ['undated, before a recent line', '2026-05-01T11:55:00Z: recent boom', '    at recent (/srv/app.js:2:2)']);
    assert.deepEqual([r.looked, r.old], [6, 3]);
  });

  test('a log without timestamps: its tail counts; only the last lines are looked at', () => {
    const text = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n');
    const r = recentLines(text, { now, windowMs, fileMtime: now, maxLines: 200 });
    assert.equal(r.lines.length, 200);
    assert.equal(r.lines[0], 'line 300');
  });
});

describe('catalog: log signal settings are validated', () => {
  test('a bad regular expression names the file and the field', () => {
    const f = catalogFile({ settings: { logSignals: [{ name: 'ok', pattern: 'fine' }, { name: 'broken', pattern: 'jwt (malformed' }] } });
    assert.throws(() => loadCatalog([f]), (err: unknown) => {
      assert.ok(err instanceof CatalogError);
      assert.match(err.message, new RegExp(`catalog file ${f}: settings\\.logSignals\\[1\\]\\.pattern: not a valid regular expression: .*Unterminated group`));
      return true;
    });
  });

  test('a pattern matching every line, a bad name, a duplicate, an unknown risk or key are refused', () => {
    const refused = (settings: unknown, message: RegExp) => assert.throws(() => loadCatalog([catalogFile({ settings })]), message);
    refused({ logSignals: [{ name: 'all', pattern: '.*' }] }, /settings\.logSignals\[0\]\.pattern: matches an empty line/);
    refused({ logSignals: [{ name: 'Bad Name', pattern: 'x' }] }, /settings\.logSignals\[0\]\.name: must be/);
    refused({ logSignals: [{ name: 'a', pattern: 'x' }, { name: 'a', pattern: 'y' }] }, /settings\.logSignals\[1\]\.name: "a" is already used by logSignals\[0\]/);
    refused({ logSignals: [{ name: 'a', pattern: 'x', risk: 'pii' }] }, /settings\.logSignals\[0\]\.risk: /);
    refused({ logSignals: [{ name: 'a', pattern: 'x', minMatchs: 3 }] }, /settings\.logSignals\[0\]: Unrecognized key.*minMatchs/);
    refused({ logSignals: [{ name: 'a', pattern: 'x', minMatches: 0 }] }, /settings\.logSignals\[0\]\.minMatches: /);
    refused({ logStreams: ['stderr'] }, /settings\.logStreams\[0\]: /);
    refused({ logWindowMinutes: 0 }, /settings\.logWindowMinutes: /);
  });

  test('files merge log signals by name: replace a shipped one, switch one off, add one', () => {
    const f = catalogFile({
      settings: {
        logSignals: [
          { name: 'auth-token-invalid', pattern: 'jwt malformed', risk: 'auth', minMatches: 1 },
          { name: 'tls-certificate', pattern: 'CERT_HAS_EXPIRED', enabled: false },
          { name: 'ledger-mismatch', pattern: 'ledger totals differ', risk: 'billing' },
        ],
        logStreams: ['err', 'out'],
      },
    });
    const c = loadCatalog([f]);
    const names = c.settings.logSignals.map((s) => s.name);
    assert.equal(names.length, shipped.settings.logSignals.length + 1);
    assert.equal(names.indexOf('auth-token-invalid'), shipped.settings.logSignals.findIndex((s) => s.name === 'auth-token-invalid'), 'replaced in place');
    assert.equal(names.at(-1), 'ledger-mismatch');
    assert.deepEqual(c.settings.logStreams, ['err', 'out']);
    assert.notEqual(c.digest, shipped.digest);
    const compiled = compileLogSignals(c.settings.logSignals);
    assert.ok(!compiled.some((s) => s.name === 'tls-certificate'), 'switched off');
    assert.deepEqual(matchLogLines(['jwt malformed'], compiled).map((m) => m.signal), ['auth-token-invalid']);
  });

  test('a signature using log:<name> needs a known log signal', () => {
    const sig = (fact: string) => ({
      id: 'ledger-broken',
      class: 'upstream-failure',
      scope: 'service',
      description: 'The ledger says its totals differ: a human reconciles.',
      evidence: [{ fact, weight: 0.9, specificity: 'specific' }],
      severity: { base: 'high' },
    });
    const f = catalogFile({ settings: { logSignals: [{ name: 'ledger-mismatch', pattern: 'ledger totals differ', risk: 'billing' }] }, signatures: [sig('log:ledger-mismatch')] });
    assert.ok(loadCatalog([f]).signatures.some((s) => s.id === 'ledger-broken'));
    const typo = catalogFile({ signatures: [sig('log:ledger-mismatc')] });
    assert.throws(() => loadCatalog([typo]), new RegExp(`catalog file ${typo}: signature "ledger-broken": evidence\\[0\\]\\.fact: unknown log signal "ledger-mismatc"`));
    assert.throws(() => loadCatalog([catalogFile({ signatures: [sig('log:Bad_Name')] })]), /evidence\[0\]\.fact: "Bad_Name" is not a log signal name/);
  });
});

describe('reading log tails', () => {
  test('only the end of a big file is read, from its first whole line', async () => {
    const body = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'z'.repeat(40)}`).join('\n');
    const f = tmp('big.log', body);
    const tail = await readLogTail(f, { maxBytes: LOG_TAIL_BYTES, timeoutMs: 2_000 });
    assert.equal(tail.status, 'read');
    if (tail.status !== 'read') return;
    assert.equal(tail.bytes, LOG_TAIL_BYTES);
    assert.ok(tail.size > 10 * LOG_TAIL_BYTES);
    assert.match(tail.text, /^line \d+ z+\n/, 'starts at a whole line');
    assert.ok(tail.text.endsWith('line 19999 ' + 'z'.repeat(40)));
  });

  test('missing, a FIFO: no lines, and why', async () => {
    assert.deepEqual(await readLogTail(path.join(dir, 'nope.log'), { maxBytes: 1024, timeoutMs: 1_000 }), { status: 'missing', reason: 'no such file' });
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    assert.equal((await readLogTail(fifo, { maxBytes: 1024, timeoutMs: 1_000 })).status, 'not-a-file');
  });
});

describe('log evidence of a service', () => {
  const now = Date.now();
  const settings = { ...shipped.settings };
  const proc = (pmId: number, instance: number, over: Partial<Pm2Process> = {}): Pm2Process => pm2Process(instance, { pmId, name: 'api', pid: 100 + pmId, ...over });

  const line = (msg: string, at = now) => JSON.stringify({ time: new Date(at).toISOString(), level: 'error', msg });

  test('one entry per file: a shared (merged) file once for every instance writing it, with what matched', async () => {
    const shared = tmp('api-error.log', [line('boot'), line('duplicate key value violates unique constraint "orders_ref_key"')].join('\n'));
    const logs = await collectLogEvidence([proc(1, 1, { errLogPath: shared }), proc(0, 0, { errLogPath: shared })], settings, { now });
    assert.equal(logs.length, 1);
    assert.deepEqual(logs[0]!.instances, [0, 1]);
    assert.deepEqual(logs[0]!.pmIds, [0, 1]);
    assert.equal(logs[0]!.readable, true);
    assert.match(logs[0]!.read, /^read the last \d+ B of \d+ B: 2 of its last 2 line\(s\) from the last 10 min$/);
    assert.deepEqual(logs[0]!.matches, [
      { signal: 'db-constraint-violation', risk: 'data-consistency', count: 1, lines: ['duplicate key value violates unique constraint "orders_ref_key"'] },
    ]);
  });

  test('missing, discarded, unnamed and timed-out logs are recorded as no evidence', async () => {
    const hangs = async () => ({ status: 'timeout' as const, reason: 'no answer within 2000 ms' });
    const logs = await collectLogEvidence(
      [proc(0, 0, { errLogPath: path.join(dir, 'gone.log') }), proc(1, 1, { errLogPath: '/dev/null' }), proc(2, 2)],
      settings,
      { now },
    );
    assert.deepEqual(
      logs.map((l) => [l.instances, l.readable, l.read]),
      [
        [[0], false, 'missing (no such file): no log evidence from it'],
        [[1], false, 'PM2 discards it (/dev/null): no log evidence from it'],
        [[2], false, 'PM2 names no log file: no log evidence from it'],
      ],
    );
    const slow = await collectLogEvidence([proc(0, 0, { errLogPath: '/x.log' })], settings, { now, readTail: hangs });
    assert.equal(slow[0]!.read, 'timeout (no answer within 2000 ms): no log evidence from it');
  });

  test('a file not written within the window is nothing recent, whatever it says', async () => {
    const f = tmp('stale.log', 'error: deadlock detected\n');
    const old = (now - 60 * 60_000) / 1000;
    utimesSync(f, old, old);
    const [log] = await collectLogEvidence([proc(0, 0, { errLogPath: f })], settings, { now });
    assert.deepEqual(log!.matches, []);
    assert.match(log!.read, /not written in the last 10 min/);
  });

  test('the out log is read too when the catalog says so', async () => {
    const err = tmp('e.log', 'plain\n');
    const out = tmp('o.log', `${line('could not serialize access due to concurrent update')}\n`);
    const logs = await collectLogEvidence([proc(0, 0, { errLogPath: err, outLogPath: out })], { ...settings, logStreams: ['err', 'out'] }, { now });
    assert.deepEqual(logs.map((l) => [l.stream, l.matches.map((m) => m.signal)]), [['err', []], ['out', ['db-transaction-conflict']]]);
  });

  test('no enabled signal: nothing is read', async () => {
    let reads = 0;
    const logs = await collectLogEvidence([proc(0, 0, { errLogPath: '/x.log' })], { ...settings, logSignals: [] }, { now, readTail: async () => (reads++, { status: 'missing', reason: '' }) });
    assert.deepEqual([logs, reads], [[], 0]);
  });

  test('the whole evidence quotes a bounded number of lines, however many instances', async () => {
    const procs = Array.from({ length: 40 }, (_, i) => proc(i, i, { errLogPath: tmp(`i${i}.log`, ['deadlock detected a', 'deadlock detected b', 'deadlock detected c'].join('\n')) }));
    const logs = await collectLogEvidence(procs, settings, { now });
    assert.equal(logs.length, 40);
    assert.ok(logs.every((l) => l.matches[0]?.count === 3), 'every instance is counted');
    assert.equal(logs.reduce((sum, l) => sum + l.matches.reduce((s, m) => s + m.lines.length, 0), 0), QUOTES_PER_EVIDENCE);
    assert.ok(JSON.stringify(logs).length < 40_000, `evidence stays small: ${JSON.stringify(logs).length} chars`);
  });
});
