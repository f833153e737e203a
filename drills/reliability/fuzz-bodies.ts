// Fuzzed webhook requests for the ingress drill: random JSON and non-JSON, truncated, deeply nested, huge,
// wrong-typed, prototype-pollution keys, and mutated valid Alertmanager / Grafana / generic payloads, all
// naming services that are not configured. Pure and deterministic: `fuzzCase(seed, i)` is always the same
// request, so a body that made the ingress misbehave is reproduced from the seed and its index.
import { picker, streamFor, type Pick } from './prng';

export const HOOK_ROUTES = ['/hooks/alertmanager', '/hooks/grafana', '/hooks/generic'] as const;
export type HookRoute = (typeof HOOK_ROUTES)[number];

export const FUZZ_KINDS = [
  'random-json',
  'non-json',
  'truncated',
  'deep-nesting',
  'huge-string',
  'wrong-types',
  'prototype-pollution',
  'mutated-valid',
  'wrong-content-type',
  'empty',
] as const;
export type FuzzKind = (typeof FUZZ_KINDS)[number];

export interface FuzzCase {
  index: number;
  kind: FuzzKind;
  route: HookRoute;
  /** null: no content-type header at all. */
  contentType: string | null;
  body: Buffer;
}

/**
 * Service names the drill's ingress does not know. Everything the generator names comes from here or is
 * random text, so no valid payload it builds may start an incident: every answer must be a 4xx.
 */
export const UNKNOWN_SERVICES = ['api', 'checkout', 'payments', 'localize', 'billing-api', 'auth', 'Localize-API', ' localize-api', 'localize-api ', 'ＡＰＩ', 'svc\u0000', ''];

const ALERT_NAMES = ['InstanceHealthTimeout', 'InstanceUnhealthy', 'CrashLoop', 'MemoryLeak', 'CpuSpike', 'DiskFull', 'x'];
const WEIRD_STRINGS = ['', ' ', '\u0000', '\uffff', '\ud800', '🔥', '%s%s%n', '${jndi:ldap://x}', '<script>', "'; DROP TABLE x;--", '../../etc/passwd', 'NaN', 'null', 'true', '-1', '1e309', 'constructor', 'prototype', '__proto__', 'toString', 'hasOwnProperty'];
const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype', '__defineGetter__', 'toString', 'valueOf', 'hasOwnProperty'];

function randomString(p: Pick, max = 24): string {
  if (p.chance(0.3)) return p.pick(WEIRD_STRINGS);
  const len = p.int(0, max);
  let s = '';
  for (let i = 0; i < len; i++) {
    const r = p.random();
    s += r < 0.7 ? String.fromCharCode(p.int(32, 126)) : r < 0.9 ? String.fromCharCode(p.int(0x80, 0x2fff)) : String.fromCharCode(p.int(0, 31));
  }
  return s;
}

function randomNumber(p: Pick): number {
  return p.pick([0, -1, 1, 0.5, 2 ** 53, -(2 ** 53), 1e308, -1e-308, p.int(-1000, 1000), p.random() * 1e6]);
}

function randomJson(p: Pick, depth: number): unknown {
  const r = p.random();
  if (depth <= 0 || r < 0.35) {
    return p.pick([() => null, () => p.chance(0.5), () => randomNumber(p), () => randomString(p)])();
  }
  if (r < 0.65) return Array.from({ length: p.int(0, 5) }, () => randomJson(p, depth - 1));
  const o: Record<string, unknown> = {};
  for (let i = p.int(0, 6); i > 0; i--) {
    const key = p.chance(0.5) ? p.pick(['version', 'alerts', 'status', 'labels', 'service', 'name', 'instance', 'startsAt', 'annotations', 'fingerprint']) : randomString(p, 12);
    o[key] = randomJson(p, depth - 1);
  }
  return o;
}

function isoTime(p: Pick): string {
  return p.chance(0.8) ? new Date(Date.UTC(2026, 10, 30, p.int(0, 23), p.int(0, 59), p.int(0, 59))).toISOString() : randomString(p, 30);
}

function unknownService(p: Pick): string {
  return p.chance(0.8) ? p.pick(UNKNOWN_SERVICES) : `unknown-${randomString(p, 16)}`;
}

function labelledAlert(p: Pick, service: string): Record<string, unknown> {
  const serviceLabel = p.pick(['service', 'app', 'job']);
  return {
    status: p.pick(['firing', 'firing', 'resolved']),
    labels: { alertname: p.pick(ALERT_NAMES), [serviceLabel]: service, pm2_instance: String(p.int(0, 3)) },
    annotations: { summary: randomString(p, 40) },
    startsAt: isoTime(p),
    fingerprint: randomString(p, 16) || 'fp',
  };
}

/** A payload each route would accept if only its service were configured. */
export function validPayload(p: Pick, route: HookRoute, service: string): Record<string, unknown> {
  const count = p.int(1, 3);
  switch (route) {
    case '/hooks/alertmanager':
      return { version: '4', status: 'firing', receiver: 'zt', groupKey: '{}:{}', alerts: Array.from({ length: count }, () => labelledAlert(p, service)) };
    case '/hooks/grafana':
      return { version: '1', state: 'alerting', status: 'firing', receiver: 'zt', orgId: 1, title: 't', alerts: Array.from({ length: count }, () => ({ ...labelledAlert(p, service), values: { B: 97.5 } })) };
    case '/hooks/generic': {
      const one = () => ({ service, name: p.pick(ALERT_NAMES), status: p.pick(['firing', 'resolved']), instance: p.int(0, 3), summary: randomString(p, 30), startsAt: new Date(Date.UTC(2026, 10, 30)).toISOString() });
      return count === 1 ? one() : { alerts: Array.from({ length: count }, one) };
    }
  }
}

/** Every path to a value in `value` (objects and arrays), root first. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, Array.isArray(value) ? Number(k) : k], out);
  }
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return root;
}

function deleteAt(root: unknown, path: (string | number)[]): unknown {
  if (path.length === 0) return root;
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (Array.isArray(node)) node.splice(Number(last), 1);
  else delete node[last];
  return root;
}

function wrongTypeFor(p: Pick, current: unknown): unknown {
  const options: unknown[] = [null, true, 0, -1, 1.5, '', '4', [], {}, [null], { a: 1 }, 'firing', 1e308];
  let v = p.pick(options);
  for (let tries = 0; tries < 5 && typeof v === typeof current && Array.isArray(v) === Array.isArray(current); tries++) v = p.pick(options);
  return v;
}

/** One mutation of a valid payload: a field deleted, retyped, duplicated, or a service renamed. */
function mutate(p: Pick, payload: Record<string, unknown>): unknown {
  const all = paths(payload);
  const target = p.pick(all.slice(1).length ? all.slice(1) : all);
  switch (p.int(0, 4)) {
    case 0:
      return deleteAt(payload, target);
    case 1:
      return setAt(payload, target, wrongTypeFor(p, target.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], payload)));
    case 2:
      return setAt(payload, target, randomString(p, 64));
    case 3: {
      const alerts = payload.alerts;
      if (Array.isArray(alerts)) for (let i = p.int(1, 50); i > 0; i--) alerts.push(structuredClone(alerts[0]));
      return payload;
    }
    default:
      return payload; // valid as it stands, unknown service: refused as unknown_service
  }
}

function deepNesting(p: Pick): string {
  // 180,000 levels of {"a": are 900 KB: under the body limit, so they are parsed; 400,000 are over it.
  const depth = p.pick([64, 1_000, 10_000, 100_000, 180_000, 400_000]);
  const style = p.int(0, 2);
  if (style === 0) return '['.repeat(depth) + ']'.repeat(depth);
  if (style === 1) return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  // nesting inside an otherwise plausible payload, where zod would walk it
  const inner = '{"x":'.repeat(depth) + '"y"' + '}'.repeat(depth);
  return `{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A","service":"api"},"annotations":${inner},"startsAt":"2026-11-30T00:00:00Z"}]}`;
}

function hugeString(p: Pick, route: HookRoute): string {
  // Around the 1 MiB body limit: well under, just under, just over, twice over.
  const size = p.pick([64 * 1024, 900 * 1024, 1024 * 1024 + 1, 2 * 1024 * 1024]);
  // Bytes each repetition costs in the JSON text, so the body is about `size` whatever the character.
  const [unit, bytes] = p.pick([['a', 1], ['\u00e9', 2], ['🔥', 4], ['\u0000', 6]] as const);
  const big = unit.repeat(Math.ceil(size / bytes));
  const where = p.int(0, 2);
  if (where === 0) return JSON.stringify({ ...validPayload(p, route, unknownService(p)), receiver: big });
  if (where === 1) return JSON.stringify(validPayload(p, route, unit.repeat(Math.ceil(size / bytes / 3))));
  return JSON.stringify(big);
}

function pollution(p: Pick, route: HookRoute): string {
  const key = p.pick(POLLUTION_KEYS);
  const poison = p.pick(['{"polluted":"yes"}', '{"prototype":{"polluted":"yes"}}', '"x"', '{"toString":"x"}', 'null']);
  const payload = JSON.stringify(validPayload(p, route, unknownService(p)));
  switch (p.int(0, 3)) {
    case 0:
      return `{"${key}":${poison}}`;
    case 1:
      return payload.replace(/^\{/, `{"${key}":${poison},`);
    case 2:
      // inside the labels (zod copies record keys by assignment)
      return payload.replace('"labels":{', `"labels":{"${key}":${poison},`);
    default:
      return payload.replace('"alerts":[{', `"alerts":[{"${key}":${poison},`);
  }
}

function nonJson(p: Pick): Buffer {
  switch (p.int(0, 4)) {
    case 0:
      return Buffer.from(Array.from({ length: p.int(1, 2048) }, () => p.int(0, 255)));
    case 1:
      return Buffer.from(p.pick(['<?xml version="1.0"?><alert/>', 'status=firing&service=api', 'undefined', 'NaN', "{'a':1}", '{"a":1,}', '[1,2', '{"a":01}', '"\\x41"', '\ufeff{}', '{"a":"\u0000"}']));
    case 2:
      return Buffer.from(randomString(p, 200));
    case 3:
      // invalid UTF-8 inside an otherwise plausible body
      return Buffer.concat([Buffer.from('{"version":"4","receiver":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('","alerts":[]}')]);
    default:
      return Buffer.from(JSON.stringify(randomJson(p, 3)) + randomString(p, 10) + '}');
  }
}

/** The request number `index` of the run seeded `seed`. */
export function fuzzCase(seed: number, index: number): FuzzCase {
  const p = picker(streamFor(seed, index));
  const kind = p.pick(FUZZ_KINDS);
  const route = p.pick(HOOK_ROUTES);
  const json = 'application/json';
  const make = (body: string | Buffer, contentType: string | null = json): FuzzCase => ({
    index,
    kind,
    route,
    contentType,
    body: typeof body === 'string' ? Buffer.from(body) : body,
  });
  switch (kind) {
    case 'random-json':
      return make(JSON.stringify(randomJson(p, 4)) ?? 'null');
    case 'non-json':
      return make(nonJson(p), p.chance(0.8) ? json : p.pick(['application/json; charset=utf-16', 'application/json; charset=latin1']));
    case 'truncated': {
      const text = JSON.stringify(validPayload(p, route, unknownService(p)));
      return make(text.slice(0, p.int(1, text.length - 1)));
    }
    case 'deep-nesting':
      return make(deepNesting(p));
    case 'huge-string':
      return make(hugeString(p, route));
    case 'wrong-types': {
      const payload = validPayload(p, route, unknownService(p));
      const all = paths(payload).slice(1);
      let mutated: unknown = payload;
      for (let i = p.int(1, 3); i > 0; i--) {
        const target = p.pick(all);
        try {
          mutated = setAt(mutated, target, wrongTypeFor(p, null));
        } catch {
          // the path went away with an earlier change
        }
      }
      return make(JSON.stringify(mutated));
    }
    case 'prototype-pollution':
      return make(pollution(p, route));
    case 'mutated-valid': {
      let payload: unknown = validPayload(p, route, unknownService(p));
      for (let i = p.int(0, 2); i > 0; i--) {
        try {
          payload = mutate(p, payload as Record<string, unknown>);
        } catch {
          // a mutation of a value an earlier one replaced
        }
      }
      return make(JSON.stringify(payload) ?? 'null');
    }
    case 'wrong-content-type':
      return make(JSON.stringify(validPayload(p, route, unknownService(p))), p.pick([null, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'json', '']));
    case 'empty':
      return make(p.pick(['', ' ', '\n', '\t\r\n']), p.chance(0.8) ? json : null);
  }
}

/** What goes into the report for a case: enough to see it, the seed and index to make it again. */
export function describeCase(c: FuzzCase, maxChars = 160): { index: number; kind: FuzzKind; route: HookRoute; contentType: string | null; bytes: number; preview: string } {
  const text = c.body.toString('utf8');
  return { index: c.index, kind: c.kind, route: c.route, contentType: c.contentType, bytes: c.body.length, preview: text.length > maxChars ? `${text.slice(0, maxChars)}…` : text };
}
