// The demo target as a plain child process, without PM2: routes, metrics and every fault switch, fast.
// What PM2 makes of the faults is test/integration/demo-target.test.ts's business.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  clearFaults,
  FaultSwitchError,
  injectFault,
  listFaults,
  persistentFaultFile,
  setPersistentFault,
} from '../../demo/faults';

const SCRIPT = path.resolve(__dirname, '../../demo/localize-api.js');
const children = new Set<ChildProcess>();
const tmpDirs: string[] = [];

interface Target {
  url: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

/** Starts the target on an ephemeral port and resolves once it listens, or once it exits without listening. */
function startTarget(env: Record<string, string> = {}): Promise<Target> {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', NODE_APP_INSTANCE: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      output += `${line}\n`;
      const entry = JSON.parse(line) as { msg: string; port?: number };
      if (entry.msg === 'listening') resolve({ url: `http://127.0.0.1:${entry.port}`, child, exited, output: () => output });
    });
    void exited.then(({ code }) => reject(Object.assign(new Error(`target exited with ${code} before listening`), { code, output })));
  });
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-demo-unit-'));
  tmpDirs.push(dir);
  return dir;
}

async function get(url: string, timeoutMs = 1_000): Promise<{ status: number; body: any; ms: number }> {
  const startedAt = performance.now();
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // metrics are text
  }
  return { status: response.status, body, ms: performance.now() - startedAt };
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(2_000) });
  return { status: response.status, body: await response.json() };
}

/** A real translator upstream on an ephemeral port that answers with `status`, or after `delayMs`, and records the jobs it got. */
async function startTranslator() {
  const state = { status: 200, delayMs: 0, jobs: [] as unknown[] };
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    state.jobs.push(JSON.parse(body));
    if (state.delayMs) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
    res.statusCode = state.status;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    state,
    port,
    url: `http://127.0.0.1:${port}/translate`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(tmpDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

test('serves health, the pretend API and request metrics by route template', async () => {
  const target = await startTarget({ RELEASE: 'r-42', NODE_APP_INSTANCE: '1' });
  const health = await get(`${target.url}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(health.body.status, 'ok');
  assert.equal(health.body.instance, 1);
  assert.equal(health.body.pid, target.child.pid);
  assert.equal(health.body.release, 'r-42');
  assert.equal(typeof health.body.uptimeSeconds, 'number');

  assert.equal((await get(`${target.url}/api/videos`)).body.videos.length, 5);
  assert.equal((await get(`${target.url}/api/videos/v-1003`)).body.sourceLanguage, 'fr');
  assert.equal((await get(`${target.url}/api/videos/v-9999`)).status, 404);
  assert.equal((await get(`${target.url}/api/videos/%E0%A4%A`)).status, 400);
  assert.equal((await get(`${target.url}/nowhere`)).status, 404);
  const wrongMethod = await fetch(`${target.url}/api/videos`, { method: 'DELETE' });
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get('allow'), 'GET');

  const job = await post(`${target.url}/api/localize`, JSON.stringify({ videoId: 'v-1001', targetLanguage: 'ja' }));
  assert.equal(job.status, 200);
  assert.equal(job.body.status, 'queued');
  assert.equal((await post(`${target.url}/api/localize`, JSON.stringify({ videoId: 'v-1001', targetLanguage: 'xx' }))).status, 400);
  assert.equal((await post(`${target.url}/api/localize`, '{not json')).status, 400);

  const metrics = String((await get(`${target.url}/metrics`)).body);
  assert.match(metrics, /^http_requests_total\{route="\/api\/videos\/:id",method="GET",status="404"\} 1$/m);
  assert.match(metrics, /^http_requests_total\{route="unmatched",method="GET",status="404"\} 1$/m);
  assert.match(metrics, /^http_requests_total\{route="\/api\/localize",method="POST",status="400"\} 2$/m);
  assert.match(metrics, /^http_request_duration_seconds_count\{route="\/api\/localize"\} 3$/m);
  assert.match(metrics, /^nodejs_eventloop_lag_seconds /m);
  target.child.kill('SIGKILL');
});

test('rejects fault requests it cannot understand, saying why', async () => {
  const target = await startTarget();
  const cases: Array<[string, RegExp]> = [
    ['{"fault":"meteor"}', /unknown fault "meteor"; expected one of crash, hang/],
    ['{"fault":"errors"}', /"rate": a number from 0 to 1/],
    ['{"fault":"errors","rate":1.5}', /"rate": a number from 0 to 1, got 1.5/],
    ['{"fault":"slow","ms":"500"}', /"ms": a number/],
    ['[1,2]', /expected a JSON object/],
    ['{', /not valid JSON/],
    ['{"fault":"crash-loop"}', /unavailable: this instance was started without DEMO_STATE_DIR/],
    ['{"fault":"failing-startup","starts":0}', /"starts": a number from 1 to 1000, got 0/],
    ['{"fault":"failing-startup","starts":2.5}', /"starts": a whole number, got 2.5/],
  ];
  for (const [body, message] of cases) {
    const answer = await post(`${target.url}/__faults`, body);
    assert.equal(answer.status, 400, body);
    assert.match(answer.body.error, message);
  }
  // A bare curl -d sends form-urlencoded; the switch reads it as JSON anyway.
  const viaCurl = await post(`${target.url}/__faults`, '{"fault":"unhealthy"}', { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(viaCurl.status, 202);
  target.child.kill('SIGKILL');
});

test('requires x-fault-token when DEMO_FAULT_TOKEN is set', async () => {
  const target = await startTarget({ DEMO_FAULT_TOKEN: 's3cret' });
  await assert.rejects(listFaults(target.url, { token: '' }), (err: unknown) => err instanceof FaultSwitchError && err.status === 401);
  await assert.rejects(listFaults(target.url, { token: 'guess' }), /answered 401: missing or wrong x-fault-token/);
  assert.deepEqual((await listFaults(target.url, { token: 's3cret' })).faults, []);
  assert.equal((await get(`${target.url}/healthz`)).status, 200, 'only the fault switch is guarded');
  target.child.kill('SIGKILL');
});

test('slow, errors and unhealthy bite where users feel them, and clear together', async () => {
  const target = await startTarget();
  await injectFault(target.url, { fault: 'slow', ms: 50 });
  await injectFault(target.url, { fault: 'slow', ms: 250 });
  await injectFault(target.url, { fault: 'errors', rate: 1 });
  await injectFault(target.url, { fault: 'unhealthy' });
  const listing = await listFaults(target.url);
  assert.deepEqual(
    listing.faults.map(({ activeSince: _ignored, ...fault }) => fault),
    [
      { fault: 'slow', ms: 250, persistent: false },
      { fault: 'errors', rate: 1, persistent: false },
      { fault: 'unhealthy', persistent: false },
    ],
  );
  const api = await get(`${target.url}/api/videos`);
  assert.equal(api.status, 500);
  assert.ok(api.ms >= 250, `slow applies before errors: ${api.ms} ms`);
  const health = await get(`${target.url}/healthz`);
  assert.equal(health.status, 503);
  assert.equal(health.body.status, 'unhealthy');
  assert.ok(health.ms < 200, 'slow does not touch /healthz');

  assert.deepEqual((await clearFaults(target.url)).cleared, ['slow', 'errors', 'unhealthy']);
  assert.equal((await get(`${target.url}/api/videos`)).status, 200);
  assert.equal((await get(`${target.url}/healthz`)).status, 200);
  target.child.kill('SIGKILL');
});

test('memory retains growing buffers and cpu burns without starving health checks', async () => {
  const target = await startTarget();
  const cpuSeconds = async () =>
    Number(/^process_cpu_seconds_total (\S+)$/m.exec(String((await get(`${target.url}/metrics`)).body))?.[1]);
  await injectFault(target.url, { fault: 'memory', mbPerSecond: 100, maxMb: 60 });
  await injectFault(target.url, { fault: 'cpu', percent: 100 });
  const cpuBefore = await cpuSeconds();
  const startedAt = performance.now();
  let slowest = 0;
  while (performance.now() - startedAt < 1_000) {
    const health = await get(`${target.url}/healthz`);
    assert.equal(health.status, 200);
    slowest = Math.max(slowest, health.ms);
  }
  assert.ok(slowest < 250, `health answered within ${slowest} ms while burning CPU`);
  assert.ok((await cpuSeconds()) - cpuBefore > 0.5, 'the burn used most of a core');
  const memory = (await listFaults(target.url)).faults.find((f) => f.fault === 'memory');
  assert.equal(memory?.retainedMb, 60, 'growth stops at maxMb');
  assert.deepEqual((await clearFaults(target.url)).cleared, ['memory', 'cpu']);
  target.child.kill('SIGKILL');
});

test('crash answers 202 and then exits with code 1', async () => {
  const target = await startTarget();
  const accepted = await injectFault(target.url, { fault: 'crash' });
  assert.deepEqual([accepted.exiting, accepted.pid], [true, target.child.pid]);
  assert.deepEqual(await target.exited, { code: 1, signal: null });
});

test('log-error writes its message to stderr, count times, as an error line of the target; nothing stays active', async () => {
  const target = await startTarget();
  const message = 'insert failed: duplicate key value violates unique constraint "orders_pkey"';
  const accepted = await injectFault(target.url, { fault: 'log-error', message, count: 3 });
  assert.deepEqual([accepted.accepted, accepted.exiting, accepted.persistent], [{ fault: 'log-error', message, count: 3 }, false, false]);
  assert.deepEqual((await injectFault(target.url, { fault: 'log-error', message: 'once' })).accepted, { fault: 'log-error', message: 'once', count: 1 });
  const written = () =>
    target
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; msg: string; fault?: string })
      .filter((e) => e.fault === 'log-error');
  for (let n = 0; n < 50 && written().length < 4; n++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(written().map((e) => [e.level, e.msg]), [['error', message], ['error', message], ['error', message], ['error', 'once']]);
  assert.deepEqual((await listFaults(target.url)).faults, [], 'a one-shot fault');
  assert.equal((await get(`${target.url}/healthz`)).status, 200);
  for (const [body, error] of [
    ['{"fault":"log-error"}', /"message": a non-blank string of at most 1000 characters/],
    ['{"fault":"log-error","message":"  "}', /"message": a non-blank string/],
    [JSON.stringify({ fault: 'log-error', message: 'x'.repeat(1001) }), /at most 1000 characters/],
    ['{"fault":"log-error","message":"x","count":1001}', /"count": a number from 1 to 1000/],
    ['{"fault":"log-error","message":"x","count":1.5}', /"count": a whole number/],
  ] as const) {
    const answer = await post(`${target.url}/__faults`, body);
    assert.equal(answer.status, 400, body);
    assert.match(answer.body.error, error);
  }
  target.child.kill('SIGKILL');
});

test('hang answers 202, then ignores requests and SIGINT until killed', async () => {
  const target = await startTarget();
  const startedAt = performance.now();
  await injectFault(target.url, { fault: 'hang' });
  assert.ok(performance.now() - startedAt < 1_000);
  await assert.rejects(get(`${target.url}/healthz`, 300), { name: 'TimeoutError' });
  await assert.rejects(listFaults(target.url, { timeoutMs: 300 }), (err: unknown) => err instanceof FaultSwitchError && err.status === null);
  target.child.kill('SIGINT');
  const outcome = await Promise.race([target.exited, new Promise((resolve) => setTimeout(() => resolve('alive'), 500))]);
  assert.equal(outcome, 'alive', 'a blocked event loop never runs the SIGINT handler');
  target.child.kill('SIGKILL');
  assert.equal((await target.exited).signal, 'SIGKILL');
});

test('SIGINT shuts a healthy instance down cleanly with code 0', async () => {
  const target = await startTarget();
  target.child.kill('SIGINT');
  assert.deepEqual(await target.exited, { code: 0, signal: null });
});

test('crash-loop set over HTTP persists, and every start dies until the file is removed', async () => {
  const stateDir = await tempDir();
  const first = await startTarget({ DEMO_STATE_DIR: stateDir });
  const accepted = await injectFault(first.url, { fault: 'crash-loop', delayMs: 100 });
  assert.deepEqual([accepted.persistent, accepted.exiting], [true, true]);
  assert.equal((await first.exited).code, 1);
  const stored = JSON.parse(await readFile(persistentFaultFile(stateDir, 0), 'utf8'));
  assert.equal(stored.fault, 'crash-loop');
  assert.equal(stored.delayMs, 100);

  const second = await startTarget({ DEMO_STATE_DIR: stateDir });
  assert.equal((await second.exited).code, 1, 'listens, then exits after delayMs');
  assert.match(second.output(), /crash-loop fault: exiting in 100 ms/);

  // Cleared during its short life, the process stays up instead of costing one more restart.
  await setPersistentFault(stateDir, 0, { fault: 'crash-loop', delayMs: 1_000 });
  const third = await startTarget({ DEMO_STATE_DIR: stateDir });
  const listing = await listFaults(third.url);
  assert.deepEqual(listing.faults.map((f) => [f.fault, f.persistent]), [['crash-loop', true]]);
  assert.deepEqual((await clearFaults(third.url)).cleared, ['crash-loop']);
  assert.equal(existsSync(persistentFaultFile(stateDir, 0)), false);
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  assert.equal((await get(`${third.url}/healthz`)).status, 200);
  third.child.kill('SIGKILL');
});

test('failing-startup dies with a stack trace before listening; an unreadable fault file is ignored', async () => {
  const stateDir = await tempDir();
  await setPersistentFault(stateDir, 3, { fault: 'failing-startup' });
  await assert.rejects(startTarget({ DEMO_STATE_DIR: stateDir, NODE_APP_INSTANCE: '3' }), (err: any) => {
    assert.equal(err.code, 1);
    assert.match(err.output, /Error: failing-startup fault: instance 3 refuses to start/);
    return true;
  });
  // Other instances read their own files and start normally.
  const neighbour = await startTarget({ DEMO_STATE_DIR: stateDir, NODE_APP_INSTANCE: '2' });
  neighbour.child.kill('SIGKILL');

  await writeFile(persistentFaultFile(stateDir, 3), '{"fault":"crash-loop","delayMs":-5}');
  const target = await startTarget({ DEMO_STATE_DIR: stateDir, NODE_APP_INSTANCE: '3' });
  assert.match(target.output(), /ignoring unreadable persistent fault file .*delayMs.*a number from 0 to 600000, got -5/);
  assert.deepEqual((await listFaults(target.url)).faults, []);
  target.child.kill('SIGKILL');
});

test('failing-startup with starts: that many starts fail, counting the file down; the last removes it and the next start serves', async () => {
  const stateDir = await tempDir();
  await setPersistentFault(stateDir, 0, { fault: 'failing-startup', starts: 2 });
  const stored = () => JSON.parse(readFileSync(persistentFaultFile(stateDir, 0), 'utf8')) as { fault: string; starts: number; setAt: string };
  const setAt = stored().setAt;

  await assert.rejects(startTarget({ DEMO_STATE_DIR: stateDir }), (err: any) => {
    assert.equal(err.code, 1);
    assert.match(err.output, /Error: failing-startup fault: instance 0 refuses to start \(1 more start\(s\) will fail\)/);
    return true;
  });
  assert.deepEqual(stored(), { fault: 'failing-startup', starts: 1, setAt }, 'counted down, set when it was set');
  await assert.rejects(startTarget({ DEMO_STATE_DIR: stateDir }), (err: any) => {
    assert.match(err.output, /refuses to start \(the last failing start: the next one succeeds\)/);
    return true;
  });
  assert.equal(existsSync(persistentFaultFile(stateDir, 0)), false, 'the last failing start removed the fault');
  const target = await startTarget({ DEMO_STATE_DIR: stateDir });
  assert.equal((await get(`${target.url}/healthz`)).status, 200);
  assert.deepEqual((await listFaults(target.url)).faults, []);
  target.child.kill('SIGKILL');
});

test('with LOCALIZE_API_TRANSLATOR_URL, localize jobs go to the translator; its failures are logged naming it and answered 502', async (t) => {
  const translator = await startTranslator();
  t.after(() => translator.close());
  const target = await startTarget({ LOCALIZE_API_TRANSLATOR_URL: translator.url });
  const job = JSON.stringify({ videoId: 'v-1001', targetLanguage: 'ja' });
  const errorLines = () => target.output().split('\n').filter((l) => l.includes('"level":"error"'));

  const ok = await post(`${target.url}/api/localize`, job);
  assert.equal(ok.status, 200);
  assert.equal(ok.body.status, 'queued');
  assert.deepEqual(translator.state.jobs.map((j: any) => [j.videoId, j.targetLanguage, j.jobId]), [['v-1001', 'ja', ok.body.jobId]]);
  assert.equal((await post(`${target.url}/api/localize`, JSON.stringify({ videoId: 'v-1001', targetLanguage: 'xx' }))).status, 400);
  assert.equal(translator.state.jobs.length, 1, 'an invalid request never reaches the translator');

  translator.state.status = 503;
  const unavailable = await post(`${target.url}/api/localize`, job);
  assert.equal(unavailable.status, 502);
  assert.equal(unavailable.body.error, 'upstream translator failed: answered HTTP 503');

  translator.state.status = 200;
  translator.state.delayMs = 1_500;
  const slow = await post(`${target.url}/api/localize`, job);
  assert.equal(slow.status, 502);
  assert.equal(slow.body.error, 'upstream translator failed: no answer within 1000 ms');

  await translator.close();
  const refused = await post(`${target.url}/api/localize`, job);
  assert.equal(refused.status, 502);
  assert.equal(refused.body.error, `upstream translator failed: connect ECONNREFUSED 127.0.0.1:${translator.port}`);

  // The error lines on stderr name the upstream and its URL: what PM2 ships to the sentinel's upstream detector.
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(
    errorLines().map((l) => JSON.parse(l).msg),
    [
      `upstream translator (${translator.url}) failed: answered HTTP 503`,
      `upstream translator (${translator.url}) failed: no answer within 1000 ms`,
      `upstream translator (${translator.url}) failed: connect ECONNREFUSED 127.0.0.1:${translator.port}`,
    ],
  );
  assert.ok(errorLines().every((l) => JSON.parse(l).upstream === 'translator'));

  const metrics = String((await get(`${target.url}/metrics`)).body);
  assert.match(metrics, /^upstream_requests_total\{upstream="translator",outcome="ok"\} 1$/m);
  assert.match(metrics, /^upstream_requests_total\{upstream="translator",outcome="error"\} 3$/m);
  assert.match(metrics, /^http_requests_total\{route="\/api\/localize",method="POST",status="502"\} 3$/m);
  target.child.kill('SIGKILL');
});

test('without LOCALIZE_API_TRANSLATOR_URL, localize calls no upstream; a malformed URL refuses to start', async () => {
  const target = await startTarget({ LOCALIZE_API_TRANSLATOR_URL: ' ' });
  assert.equal((await post(`${target.url}/api/localize`, JSON.stringify({ videoId: 'v-1002', targetLanguage: 'de' }))).status, 200);
  assert.doesNotMatch(String((await get(`${target.url}/metrics`)).body), /^upstream_requests_total\{/m);
  target.child.kill('SIGKILL');

  await assert.rejects(startTarget({ LOCALIZE_API_TRANSLATOR_URL: 'translator:8080' }), (err: any) => {
    assert.equal(err.code, 1);
    assert.match(err.output, /LOCALIZE_API_TRANSLATOR_URL must be an http\(s\) URL, got "translator:8080"/);
    return true;
  });
});
