// `show servers state <backend>` → typed rows: what `show stat` does not say, i.e. the administrative state
// an operator (or an action) set, apart from what health checks decided, and the initial weight from the
// configuration (`srv_iweight`) next to the runtime one (`srv_uweight`). Columns are found by the header.
//
//   1
//   # be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight …
//   3 app 1 a 127.0.0.1 2 8 100 100 …

export type AdminState = 'ready' | 'drain' | 'maint';

export interface ServerStateRow {
  backend: string;
  server: string;
  /** 0 stopped, 1 starting, 2 running, 3 stopping (as health checks and tracking judged it). */
  opState: number;
  /** The srv_admin_state bit field as printed. */
  adminFlags: number;
  /** maint if any maintenance bit is set (forced, inherited, config, resolution), else drain if a drain bit is, else ready. */
  adminState: AdminState;
  /** The weight in force as set at runtime (`set weight`); the initial one until someone changes it. */
  uweight: number;
  /** The weight the configuration gave the server. */
  iweight: number;
}

export class ServersStateParseError extends Error {
  override name = 'ServersStateParseError';
}

// include/haproxy/server-t.h: FMAINT 0x01, IMAINT 0x02, CMAINT 0x04, FDRAIN 0x08, IDRAIN 0x10, RMAINT 0x20, HMAINT 0x40.
const MAINT_BITS = 0x01 | 0x02 | 0x04 | 0x20 | 0x40;
const DRAIN_BITS = 0x08 | 0x10;

export function adminStateOf(flags: number): AdminState {
  if (flags & MAINT_BITS) return 'maint';
  if (flags & DRAIN_BITS) return 'drain';
  return 'ready';
}

export function parseServersState(text: string): ServerStateRow[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '').trim());
  const headerLine = lines.find((l) => l.startsWith('# '));
  if (!headerLine) throw new ServersStateParseError(`no "# be_id be_name …" header in show servers state output: ${JSON.stringify(text.slice(0, 120))}`);
  const header = headerLine.slice(2).split(/\s+/);
  const need = ['be_name', 'srv_name', 'srv_op_state', 'srv_admin_state', 'srv_uweight', 'srv_iweight'];
  const missing = need.filter((c) => !header.includes(c));
  if (missing.length) throw new ServersStateParseError(`show servers state header lacks ${missing.join(', ')}: ${headerLine.slice(0, 120)}`);
  const col = (fields: string[], name: string) => fields[header.indexOf(name)] ?? '';
  // The line before the header is the format version; the data lines follow the header.
  return lines
    .slice(lines.indexOf(headerLine) + 1)
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const f = l.split(/\s+/);
      const int = (name: string) => {
        const n = Number(col(f, name));
        if (!Number.isInteger(n)) throw new ServersStateParseError(`${name} of ${col(f, 'be_name')}/${col(f, 'srv_name')} is not a number: ${JSON.stringify(col(f, name))}`);
        return n;
      };
      const adminFlags = int('srv_admin_state');
      return {
        backend: col(f, 'be_name'),
        server: col(f, 'srv_name'),
        opState: int('srv_op_state'),
        adminFlags,
        adminState: adminStateOf(adminFlags),
        uweight: int('srv_uweight'),
        iweight: int('srv_iweight'),
      };
    });
}
