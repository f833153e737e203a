// One byte-exact text for a JSON value, whatever order its keys came in. PostgreSQL's jsonb stores
// object keys in its own order (shortest first), so a hash over JSON.stringify of a row read back would
// not match the hash computed at append time; sorting keys at every level makes both sides agree.
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    // undefined, functions and symbols have no JSON form; refusing them keeps "what was hashed" obvious.
    if (text === undefined) throw new TypeError(`canonicalJson: ${typeof value} has no JSON form`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON(): unknown }).toJSON());
  const keys = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    // Plain code-unit order, like JSON.stringify's escapes: locale-independent, so every machine agrees.
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/**
 * The value as it comes back from a jsonb column: what JSON.stringify keeps (undefined dropped, NaN and
 * Infinity null, Dates as ISO strings). Hashing this instead of the caller's object means the hash at
 * append time and the hash at verify time see the same thing.
 */
export function jsonRoundTrip(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`${typeof value} has no JSON form`);
  return JSON.parse(text) as JsonValue;
}
