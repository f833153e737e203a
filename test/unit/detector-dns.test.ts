// DNS resolution failures against a real (tiny, local) DNS server: each failure mode is named, a slow
// answer inside the timeout is fine, and the probe never waits past its deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceSchema } from '../../config/schema';
import { resolveName } from '../../probes/dns';
import { describeDns, dnsDetector } from '../../sentinel/detectors/dns';
import { startDnsServer, type DnsServerMode } from '../helpers/dns-server';

const ctx = { pm2: null as never, sentinel: null as never, logger: null as never };

const CASES: Array<{ name: string; query: string; mode?: DnsServerMode; delayMs?: number; stopped?: boolean; outcome: string; summary: RegExp }> = [
  { name: 'a configured name', query: 'api.internal', outcome: 'ok', summary: /api.internal resolves again via 127.0.0.1:\d+ \(10.0.0.7, \d+ ms\)/ },
  { name: 'an answer slower than usual but inside the timeout', query: 'api.internal', delayMs: 150, outcome: 'ok', summary: /resolves again/ },
  { name: 'an unknown name', query: 'nope.internal', outcome: 'nxdomain', summary: /nope.internal does not exist \(NXDOMAIN\)/ },
  { name: 'SERVFAIL', query: 'api.internal', mode: 'servfail', outcome: 'servfail', summary: /failed at the resolver \(SERVFAIL\)/ },
  { name: 'a silent resolver', query: 'api.internal', mode: 'silent', outcome: 'timeout', summary: /got no answer in time within 400 ms/ },
  { name: 'an answer slower than the timeout', query: 'api.internal', delayMs: 800, outcome: 'timeout', summary: /within 400 ms/ },
  { name: 'a stopped resolver', query: 'api.internal', stopped: true, outcome: 'refused', summary: /was refused/ },
];

for (const c of CASES) {
  test(`dns: ${c.name} → ${c.outcome}`, async (t) => {
    const dns = await startDnsServer({ 'api.internal': ['10.0.0.7'] });
    t.after(() => dns.stop());
    if (c.mode) dns.mode = c.mode;
    if (c.delayMs) dns.delayNext(c.delayMs);
    if (c.stopped) await dns.stop();
    const cfg = { names: [c.query], servers: [dns.address], timeoutMs: 400, intervalMs: 1000 };
    const started = Date.now();
    const result = await resolveName(c.query, cfg);
    assert.equal(result.outcome, c.outcome);
    assert.ok(Date.now() - started < 1000, 'the probe keeps its deadline');
    assert.match(describeDns('api', c.query, cfg, result), c.summary);
  });
}

test('no dns section: no detector', () => {
  assert.equal(dnsDetector({ ...ctx, service: serviceSchema.parse({ name: 'api', basePort: 3100 }) }), null);
});

test('one round: a subject per name, failing where resolution fails', async (t) => {
  const dns = await startDnsServer({ 'a.internal': ['10.0.0.1'], 'b.internal': ['10.0.0.2', '10.0.0.3'] });
  t.after(() => dns.stop());
  const service = serviceSchema.parse({
    name: 'api',
    basePort: 3100,
    detectors: { dns: { names: ['a.internal', 'b.internal', 'gone.internal'], servers: [dns.address], timeoutMs: 400 } },
  });
  const d = dnsDetector({ ...ctx, service })!;
  assert.equal(d.name, 'dns');
  assert.deepEqual(
    (await d.observe()).map((o) => [o.subject, o.failing, o.alertName, o.labels?.outcome]),
    [
      ['dns:a.internal', false, 'DnsResolutionFailure', 'ok'],
      ['dns:b.internal', false, 'DnsResolutionFailure', 'ok'],
      ['dns:gone.internal', true, 'DnsResolutionFailure', 'nxdomain'],
    ],
  );
});
