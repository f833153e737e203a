// Follows what one service's PM2 processes write to stderr, line by line, from the PM2 bus. Subscribes on
// first use (a detector's factory is synchronous; its first round is not) and unsubscribes at stop, so a
// stopped detector leaves nothing listening on the shared bus.
import type { Pm2ErrorLog } from '../../pm2/client';
import { logLines } from './upstream-errors';

/** What this needs of the PM2 client: Pm2Client provides it. */
export interface ErrorLogSource {
  onErrorLog(listener: (log: Pm2ErrorLog) => void): Promise<() => void>;
}

export class ServiceErrorLog {
  private subscription: Promise<() => void> | null = null;
  private stopped = false;

  constructor(
    private readonly source: ErrorLogSource,
    /** The PM2 app name: lines from every other process of the daemon are not this service's. */
    private readonly service: string,
    private readonly onLine: (line: string, at: number) => void,
  ) {}

  /** Subscribes once; a failed subscription is retried on the next call. Resolves false once stopped. */
  async follow(): Promise<boolean> {
    if (this.stopped) return false;
    const subscription = (this.subscription ??= this.source.onErrorLog((log) => this.receive(log)));
    try {
      await subscription;
      return true;
    } catch (err) {
      if (this.subscription === subscription) this.subscription = null;
      throw err;
    }
  }

  private receive(log: Pm2ErrorLog): void {
    if (this.stopped || log.process.name !== this.service) return;
    // Arrival time, not PM2's: the windows are judged against this host's clock at observe time.
    const at = Date.now();
    for (const line of logLines(log.text)) this.onLine(line, at);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const subscription = this.subscription;
    this.subscription = null;
    const unsubscribe = await subscription?.catch(() => null);
    unsubscribe?.();
  }
}
