// `show stat` CSV → typed rows. Columns are found by the header line (`# pxname,svname,…`), not by
// position: HAProxy versions append columns, and a parser pinned to offsets breaks silently on upgrade.
// HAProxy does not quote fields, so a plain split is the format; missing columns read as null.

export type StatRowType = 'frontend' | 'backend' | 'server' | 'listener';

export interface StatRow {
  pxname: string;
  svname: string;
  type: StatRowType;
  /** As HAProxy prints it: UP, DOWN, "UP 1/3" (going down), NOLB, MAINT, "MAINT (via b/s)", DRAIN, "no check", OPEN… */
  status: string;
  /** Effective weight: the user weight as the balancer applies it (0 while draining). */
  weight: number | null;
  /** The weight an operator set (`set weight`), what an undo restores. Null before HAProxy 2.4. */
  uweight: number | null;
  /** Current sessions. */
  scur: number;
  smax: number;
  /** Cumulative sessions. */
  stot: number;
  /** Times this server was picked by the balancer. */
  lbtot: number | null;
  /** 1 for an active server, 0 for a backup. */
  act: number | null;
  bck: number | null;
  checkStatus: string | null;
  /** Every column by its header name, for what the typed fields do not cover. */
  raw: Record<string, string>;
}

export class StatParseError extends Error {
  override name = 'StatParseError';
}

const TYPES: Record<string, StatRowType> = { '0': 'frontend', '1': 'backend', '2': 'server', '3': 'listener' };

export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split('\n').map((l) => l.replace(/\r$/, ''));
  const headerLine = lines.find((l) => l.startsWith('# '));
  if (!headerLine) throw new StatParseError(`no "# pxname,svname,…" header in show stat output: ${JSON.stringify(csv.slice(0, 120))}`);
  const header = headerLine.slice(2).split(',');
  if (!['pxname', 'svname', 'type', 'status'].every((c) => header.includes(c))) throw new StatParseError(`unexpected show stat header: ${headerLine.slice(0, 120)}`);
  return lines.filter((l) => l && !l.startsWith('#')).map((l) => toRow(header, l.split(',')));
}

function toRow(header: string[], fields: string[]): StatRow {
  const raw: Record<string, string> = {};
  header.forEach((name, i) => {
    if (name) raw[name] = fields[i] ?? '';
  });
  const type = TYPES[raw.type ?? ''];
  if (!type) throw new StatParseError(`row ${raw.pxname}/${raw.svname} has unknown type ${JSON.stringify(raw.type)}`);
  return {
    pxname: raw.pxname ?? '',
    svname: raw.svname ?? '',
    type,
    status: raw.status ?? '',
    weight: num(raw.weight),
    uweight: num(raw.uweight),
    scur: num(raw.scur) ?? 0,
    smax: num(raw.smax) ?? 0,
    stot: num(raw.stot) ?? 0,
    lbtot: num(raw.lbtot),
    act: num(raw.act),
    bck: num(raw.bck),
    checkStatus: raw.check_status || null,
    raw,
  };
}

function num(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Servers of one backend, in the order HAProxy lists them. */
export function backendServers(rows: StatRow[], backend: string): StatRow[] {
  return rows.filter((r) => r.type === 'server' && r.pxname === backend);
}

/**
 * Whether the balancer may send new traffic to the server: UP (including "UP 1/3", still up while checks
 * fail) or "no check" (never checked, so assumed up). DRAIN, NOLB, MAINT and DOWN take no new sessions.
 */
export function isServingStatus(status: string): boolean {
  return status === 'UP' || status.startsWith('UP ') || status === 'no check';
}

/** DOWN as health checks judged it ("DOWN", "DOWN 1/2" coming back): not MAINT, which a human chose. */
export function isDownStatus(status: string): boolean {
  return status === 'DOWN' || status.startsWith('DOWN ');
}
