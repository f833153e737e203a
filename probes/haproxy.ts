// HAProxy runtime API over its unix stats socket: one command per connection (HAProxy answers and closes
// in non-interactive mode), so a reply is everything read until close. Names are validated, never
// interpolated raw: `;` and newlines separate runtime commands, and a crafted server name must not smuggle
// a second one in. Every call has a deadline — a wedged HAProxy must not wedge a detector or an action.
import net from 'node:net';
import { parseShowStat, type StatRow } from './haproxy-stat';
import { parseServersState, type ServerStateRow } from './haproxy-servers-state';

export type { StatRow } from './haproxy-stat';
export type { ServerStateRow } from './haproxy-servers-state';
export type ServerAdminState = 'ready' | 'drain' | 'maint';

export class HaproxyError extends Error {
  override name = 'HaproxyError';
}
/** HAProxy did not answer in time; retrying may help. */
export class HaproxyTimeoutError extends HaproxyError {
  override name = 'HaproxyTimeoutError';
}
/** HAProxy answered that the command failed (unknown backend or server, bad value, no permission). */
export class HaproxyCommandError extends HaproxyError {
  override name = 'HaproxyCommandError';
}

// HAProxy's own identifier alphabet for proxy and server names.
const NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

function checkName(kind: string, value: string): string {
  if (!NAME.test(value)) throw new HaproxyError(`invalid ${kind} name ${JSON.stringify(value)}: HAProxy names are letters, digits, "_", ".", ":" and "-"`);
  return value;
}

export class HaproxyRuntime {
  constructor(
    readonly socketPath: string,
    private readonly timeoutMs = 2000,
  ) {}

  /** Sends one runtime command and returns HAProxy's whole reply. */
  command(cmd: string): Promise<string> {
    if (/[\r\n;]/.test(cmd)) throw new HaproxyError('one runtime command at a time: no newlines or ";"');
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (err: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sock.destroy();
        if (err) reject(err);
        else resolve(Buffer.concat(chunks).toString('utf8'));
      };
      const sock = net.createConnection(this.socketPath, () => sock.write(`${cmd}\n`));
      const timer = setTimeout(() => finish(new HaproxyTimeoutError(`HAProxy at ${this.socketPath} did not answer "${cmd}" within ${this.timeoutMs} ms`)), this.timeoutMs);
      sock.on('data', (c: Buffer) => chunks.push(c));
      sock.on('end', () => finish(null));
      sock.on('close', () => finish(null));
      sock.on('error', (err: NodeJS.ErrnoException) => finish(new HaproxyError(`HAProxy socket ${this.socketPath}: ${err.code ?? err.message}`)));
    });
  }

  async showStat(): Promise<StatRow[]> {
    return parseShowStat(await this.command('show stat'));
  }

  /**
   * Administrative state and runtime/initial weights of one backend's servers. An unknown backend is a
   * HaproxyCommandError (HAProxy answers "Can't find backend.").
   */
  async showServersState(backend: string): Promise<ServerStateRow[]> {
    const cmd = `show servers state ${checkName('backend', backend)}`;
    const reply = await this.command(cmd);
    if (!reply.includes('# be_id')) throw new HaproxyCommandError(`HAProxy refused "${cmd}": ${reply.trim() || '(no answer)'}`);
    return parseServersState(reply);
  }

  /** Sets a server's user weight (0–256); what the load balancer uses once scaled by its state. */
  async setWeight(backend: string, server: string, weight: number): Promise<void> {
    if (!Number.isInteger(weight) || weight < 0 || weight > 256) throw new HaproxyError(`weight must be an integer 0-256, got ${weight}`);
    await this.expectSilence(`set weight ${checkName('backend', backend)}/${checkName('server', server)} ${weight}`);
  }

  async setServerState(backend: string, server: string, state: ServerAdminState): Promise<void> {
    if (!['ready', 'drain', 'maint'].includes(state)) throw new HaproxyError(`unknown server state ${JSON.stringify(state)}`);
    await this.expectSilence(`set server ${checkName('backend', backend)}/${checkName('server', server)} state ${state}`);
  }

  // Successful `set` commands answer nothing; any text is HAProxy explaining why it refused.
  private async expectSilence(cmd: string): Promise<void> {
    const reply = (await this.command(cmd)).trim();
    if (reply) throw new HaproxyCommandError(`HAProxy refused "${cmd}": ${reply}`);
  }
}
