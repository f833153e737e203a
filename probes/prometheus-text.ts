// Parses the Prometheus text exposition format (version 0.0.4) into flat samples. Written here rather than
// taken from npm: the one published parser has no types and no maintenance, and the sentinel needs only the
// sample lines — counters and histogram series with labels — read exactly, escapes included.

export interface Sample {
  /** The series name as exposed, e.g. `http_request_duration_seconds_bucket`. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class PrometheusTextError extends Error {
  override name = 'PrometheusTextError';
}

const NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;

/** Every sample line of `text`; comments (HELP, TYPE) and blank lines carry no samples. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      samples.push(parseSampleLine(line));
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new PrometheusTextError(`line ${i + 1}: ${why}: ${JSON.stringify(line.slice(0, 120))}`);
    }
  });
  return samples;
}

function parseSampleLine(line: string): Sample {
  let pos = 0;
  const name = match(NAME, line, pos, 'metric name');
  pos += name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos = parseLabels(line, pos + 1, labels);
  }
  // Value, then an optional millisecond timestamp the sentinel has no use for.
  const rest = line.slice(pos).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') throw new Error('expected a value and an optional timestamp');
  return { name, labels, value: parseValue(rest[0]!) };
}

/** Reads `name="value",…}` starting just after `{`; returns the position after the closing brace. */
function parseLabels(line: string, start: number, into: Record<string, string>): number {
  let pos = skipSpaces(line, start);
  while (line[pos] !== '}') {
    const labelName = match(LABEL_NAME, line, pos, 'label name');
    pos = skipSpaces(line, pos + labelName.length);
    if (line[pos] !== '=') throw new Error(`expected "=" after label ${labelName}`);
    pos = skipSpaces(line, pos + 1);
    if (line[pos] !== '"') throw new Error(`expected a quoted value for label ${labelName}`);
    const [value, end] = readQuoted(line, pos + 1);
    into[labelName] = value;
    pos = skipSpaces(line, end);
    // A trailing comma before `}` is allowed by the format.
    if (line[pos] === ',') pos = skipSpaces(line, pos + 1);
    else if (line[pos] !== '}') throw new Error(`expected "," or "}" after label ${labelName}`);
  }
  return pos + 1;
}

/** The text format escapes exactly three things in label values: backslash, double quote and newline. */
function readQuoted(line: string, start: number): [string, number] {
  let out = '';
  for (let pos = start; pos < line.length; pos++) {
    const c = line[pos]!;
    if (c === '"') return [out, pos + 1];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = line[++pos];
    if (next === 'n') out += '\n';
    else if (next === '\\' || next === '"') out += next;
    // Unknown escapes are kept verbatim, as Prometheus itself does.
    else out += `\\${next ?? ''}`;
  }
  throw new Error('unterminated label value');
}

// Prometheus reads values with Go's strconv.ParseFloat, which takes NaN and infinities in any case
// ("Nan" is what prom-client writes for a gauge with no data yet, e.g. event-loop lag right after a start).
const SPECIAL_VALUES = new Map<string, number>([
  ['nan', NaN],
  ['inf', Infinity],
  ['+inf', Infinity],
  ['-inf', -Infinity],
  ['infinity', Infinity],
  ['+infinity', Infinity],
  ['-infinity', -Infinity],
]);

/** A sample value or an `le` bound as Prometheus reads it; NaN when it is not a number. */
export function prometheusFloat(text: string): number {
  return SPECIAL_VALUES.get(text.toLowerCase()) ?? Number(text);
}

function parseValue(text: string): number {
  const value = prometheusFloat(text);
  if (Number.isNaN(value) && text.toLowerCase() !== 'nan') throw new Error(`value ${JSON.stringify(text)} is not a number`);
  return value;
}

function match(re: RegExp, line: string, pos: number, what: string): string {
  re.lastIndex = pos;
  const m = re.exec(line);
  if (!m) throw new Error(`expected a ${what} at column ${pos + 1}`);
  return m[0];
}

function skipSpaces(line: string, pos: number): number {
  while (line[pos] === ' ' || line[pos] === '\t') pos++;
  return pos;
}
