// The health detector's one judgement beyond the probe: a process PM2 just (re)started refuses
// connections until it listens; that is starting, not down, until its first healthy answer or the
// startup grace. Real HTTP on loopback; PM2's listing is a stand-in with controlled start times.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sentinelSchema, serviceSchema } from '../../config/schema';
import { createLogger } from '../../observability/logger';
import type { Pm2Client, Pm2Process } from '../../pm2/client';
import { healthDetector } from '../../sentinel/detectors/health';
import { freePortRange } from '../helpers/system';

function detectorFor(basePort: number, processes: () => Array<Partial<Pm2Process> & { pmId: number; instance: number; pid: number; status: string; startedAt: number }>) {
  const pm2 = { listApp: async () => processes() } as unknown as Pm2Client;
  const service = serviceSchema.parse({ name: 'svc', basePort, detectors: { startup: { graceMs: 10_000 } } });
  const detector = healthDetector({ service, pm2, sentinel: sentinelSchema.parse({ probeTimeoutMs: 300 }), logger: createLogger('test') });
  assert.ok(detector);
  return detector;
}

describe('health detector: starting is not down', () => {
  let server: http.Server;
  let port: number;
  before(async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  test('a just-started process that refuses is left out; after the grace it is reported refused', async () => {
    const closedPort = await freePortRange(1);
    let startedAt = Date.now();
    const detector = detectorFor(closedPort, () => [{ pmId: 0, instance: 0, pid: 10, status: 'online', startedAt }]);
    assert.deepEqual(await detector.observe(), [], 'starting: no observation, so the damping counts nothing');
    startedAt = Date.now() - 11_000;
    const [obs] = await detector.observe();
    assert.equal(obs?.failing, true);
    assert.equal(obs?.alertName, 'InstanceRefusingConnections');
  });

  test('a process that answered once and then refuses is down at once, even if it started a moment ago', async () => {
    const closedPort = await freePortRange(1);
    // basePort 1: instance n is probed on port 1 + n, so the listing picks the port through the instance.
    let probed = port;
    const detector = detectorFor(1, () => [{ pmId: 0, instance: probed - 1, pid: 12, status: 'online', startedAt: Date.now() }]);
    assert.equal((await detector.observe())[0]?.failing, false, 'answers while listening');
    probed = closedPort;
    const [obs] = await detector.observe();
    assert.equal(obs?.failing, true, 'the same pid refusing after a healthy answer is down, not starting');
    assert.equal(obs?.alertName, 'InstanceRefusingConnections');
  });
});

describe('health detector: what it saw travels with the alert', () => {
  test('a failing streak of one process is its witness: capped, and gone once it answers or another process runs', async () => {
    let answer = false;
    const server = http.createServer((_req, res) => {
      if (answer) res.end('ok'); // otherwise never answers: hung
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    let pid = 20;
    const detector = detectorFor(port, () => [{ pmId: 0, instance: 0, pid, status: 'online', startedAt: 0, restarts: 3, memoryBytes: 1, cpuPercent: 97 }]);
    try {
      const first = (await detector.observe())[0]!;
      assert.equal(first.alertName, 'InstanceHealthTimeout');
      assert.deepEqual(first.witnessed?.samples.map((s) => s.health), ['timeout']);
      assert.equal(first.witnessed?.pid, 20);
      assert.equal(first.witnessed?.restarts, 3);
      assert.equal(first.witnessed?.samples[0]?.cpuPercent, 97, 'PM2’s reading at the time of the probe');
      for (let i = 0; i < 5; i++) await detector.observe();
      assert.equal((await detector.observe())[0]!.witnessed?.samples.length, 5, 'at most 5 probes kept');
      pid = 21;
      assert.equal((await detector.observe())[0]!.witnessed?.samples.length, 1, 'a new process starts its own streak');
      answer = true;
      const healthy = (await detector.observe())[0]!;
      assert.equal(healthy.failing, false);
      assert.equal(healthy.witnessed, undefined);
      answer = false;
      assert.equal((await detector.observe())[0]!.witnessed?.samples.length, 1, 'an answer ends the streak');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
