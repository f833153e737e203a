// The exposition parser, table-driven: counters, histograms, labels with escapes, special values, and
// lines that must be refused rather than misread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrometheusText, PrometheusTextError } from '../../probes/prometheus-text';

const cases: Array<{ name: string; text: string; want: Array<[string, Record<string, string>, number]> }> = [
  { name: 'bare counter', text: 'up 1', want: [['up', {}, 1]] },
  {
    name: 'HELP, TYPE and blank lines carry no samples',
    text: '# HELP http_requests_total Requests\n# TYPE http_requests_total counter\n\nhttp_requests_total{route="/a",status="200"} 7\n',
    want: [['http_requests_total', { route: '/a', status: '200' }, 7]],
  },
  {
    name: 'histogram series with +Inf and exponent values',
    text: [
      'h_bucket{le="0.005",route="/x"} 3',
      'h_bucket{le="+Inf",route="/x"} 4',
      'h_sum{route="/x"} 1.5e-2',
      'h_count{route="/x"} 4',
    ].join('\n'),
    want: [
      ['h_bucket', { le: '0.005', route: '/x' }, 3],
      ['h_bucket', { le: '+Inf', route: '/x' }, 4],
      ['h_sum', { route: '/x' }, 0.015],
      ['h_count', { route: '/x' }, 4],
    ],
  },
  {
    name: 'escaped backslash, quote and newline in label values',
    text: String.raw`m{path="C:\\dir",msg="say \"hi\"",multi="a\nb"} 2`,
    want: [['m', { path: 'C:\\dir', msg: 'say "hi"', multi: 'a\nb' }, 2]],
  },
  { name: 'braces and commas inside a quoted value', text: 'm{route="/a{b},c"} 1', want: [['m', { route: '/a{b},c' }, 1]] },
  { name: 'trailing comma and spaces in labels', text: 'm{ a = "1" , b="2", } 3', want: [['m', { a: '1', b: '2' }, 3]] },
  { name: 'empty label set', text: 'm{} 4', want: [['m', {}, 4]] },
  { name: 'timestamp is ignored', text: 'm{a="1"} 5 1700000000000', want: [['m', { a: '1' }, 5]] },
  { name: 'Inf, -Inf', text: 'a +Inf\nb -Inf', want: [['a', {}, Infinity], ['b', {}, -Infinity]] },
  { name: 'CRLF line ends', text: 'a 1\r\nb 2\r\n', want: [['a', {}, 1], ['b', {}, 2]] },
  { name: 'colons in metric names', text: 'job:rate5m 0.5', want: [['job:rate5m', {}, 0.5]] },
];

for (const c of cases) {
  test(`parses: ${c.name}`, () => {
    const got = parsePrometheusText(c.text).map((s) => [s.name, s.labels, s.value]);
    assert.deepEqual(got, c.want);
  });
}

test('NaN values parse as NaN', () => {
  assert.ok(Number.isNaN(parsePrometheusText('m NaN')[0]!.value));
  // prom-client's spelling for a gauge with no data yet: Prometheus (Go's ParseFloat) reads any case.
  assert.ok(Number.isNaN(parsePrometheusText('nodejs_eventloop_lag_mean_seconds Nan')[0]!.value));
  assert.deepEqual(
    parsePrometheusText('a inf\nb -INF\nc +Infinity').map((s) => s.value),
    [Infinity, -Infinity, Infinity],
  );
  assert.throws(() => parsePrometheusText('m constructor'), /value "constructor" is not a number/);
});

const bad: Array<[string, string]> = [
  ['unterminated label value', 'm{a="1} 2'],
  ['unquoted label value', 'm{a=1} 2'],
  ['missing value', 'm{a="1"}'],
  ['non-numeric value', 'm abc'],
  ['garbage name', '1m 2'],
  ['extra fields', 'm 1 2 3'],
];

for (const [name, text] of bad) {
  test(`refuses: ${name}, naming the line`, () => {
    assert.throws(() => parsePrometheusText(`ok 1\n${text}`), (err: unknown) => err instanceof PrometheusTextError && /line 2/.test(err.message));
  });
}

test('parses what prom-client actually exposes', async () => {
  const client = await import('prom-client');
  const registry = new client.Registry();
  const counter = new client.Counter({ name: 'reqs_total', help: 'h', labelNames: ['route', 'status'], registers: [registry] });
  const histogram = new client.Histogram({ name: 'dur_seconds', help: 'h', labelNames: ['route'], buckets: [0.1, 1], registers: [registry] });
  counter.inc({ route: '/a "q"', status: '500' }, 3);
  histogram.observe({ route: '/a' }, 0.5);
  const samples = parsePrometheusText(await registry.metrics());
  assert.deepEqual(samples.find((s) => s.name === 'reqs_total')?.labels, { route: '/a "q"', status: '500' });
  assert.deepEqual(
    samples.filter((s) => s.name === 'dur_seconds_bucket').map((s) => [s.labels.le, s.value]),
    [['0.1', 0], ['1', 1], ['+Inf', 1]],
  );
});
