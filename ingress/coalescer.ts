// Storm handling. A storm is the same alert delivered thousands of times (an HA Alertmanager pair, a
// flapping probe, a retrying sender). Per (incident, fingerprint, status) the first alert goes out at
// once; identical ones arriving within the window are only counted, and at the end of the window one
// alert with `count = n` goes out. The incident still counts every delivery, Temporal sees two signals
// per window instead of thousands, and nothing accepted is dropped without being counted and logged.
//
// Fast path: once an alert has been delivered, its incident is "known open" for a few windows. A new
// window for that alert then sends nothing first: every alert in it is answered 202 `coalesced` at once
// and only counted, and the window's flush is the one signal. Each successful flush renews the period, so
// a sustained storm costs Temporal one signal per window and its senders no Temporal round trip at all.
// The trade-off: those counts live only in this process until the flush, so a crash between the 202 and
// the flush loses at most one window's duplicate count. Never an incident and never a first alert: the
// first alert of a fingerprint (and the first after a status change or a failed flush) still waits for
// its delivery, and is refused (503) with its waiting duplicates when that fails, so senders retry.
import type { Logger } from '../observability/logger';
import type { Alert } from '../signals/alert';

/** What one delivery to Temporal did. */
export interface Delivery {
  result: 'signalled' | 'no-open-incident';
  runId: string | null;
}

export interface CoalescedDelivery {
  result: Delivery['result'] | 'coalesced';
  runId: string | null;
}

/** The incident an alert goes to: its key and `incident-<key>`. */
export interface IncidentTarget {
  workflowId: string;
  key: string;
}

export type Deliver = (target: IncidentTarget, alert: Alert) => Promise<Delivery>;

/** The alert contract caps `count`; a window that reaches it is flushed early rather than overflow. */
export const MAX_ALERT_COUNT = 1_000_000;

/**
 * How many windows one successful delivery vouches for its incident. Long enough to bridge the gap
 * between one window's flush and the next window of a steady storm, short enough that an incident closed
 * meanwhile costs at most that long before a new alert for it goes through `signalWithStart` again.
 */
export const KNOWN_OPEN_WINDOWS = 3;

interface Window {
  target: IncidentTarget;
  /** The first alert's delivery; duplicates answer with its run, and fail with it. */
  first: Promise<Delivery>;
  /** The newest duplicate: its annotations are the freshest, so it is the one flushed. */
  latest: Alert | null;
  pending: number;
  timer: NodeJS.Timeout;
}

/**
 * The last status seen for one (incident, fingerprint), and until when its last successful delivery
 * lets duplicates of that status be answered without waiting (`until` 0: not known open).
 */
interface KnownOpen {
  status: Alert['status'];
  runId: string | null;
  until: number;
}

export interface CoalescerOptions {
  windowMs: number;
  deliver: Deliver;
  logger: Logger;
  /** How long a successful delivery keeps its alert on the fast path; default KNOWN_OPEN_WINDOWS windows. */
  knownOpenMs?: number;
}

function windowKey(workflowId: string, fingerprint: string, status: Alert['status']): string {
  return JSON.stringify([workflowId, fingerprint, status]);
}

function fingerprintKey(workflowId: string, fingerprint: string): string {
  return JSON.stringify([workflowId, fingerprint]);
}

const OPPOSITE: Record<Alert['status'], Alert['status']> = { firing: 'resolved', resolved: 'firing' };

export class StormCoalescer {
  private readonly windows = new Map<string, Window>();
  /** Flushes under way, by window key, so a later opposite-status alert and shutdown can wait for them. */
  private readonly flushing = new Map<string, Promise<void>>();
  /** Per (incident, fingerprint): the fast-path state. Swept of expired entries once per window. */
  private readonly known = new Map<string, KnownOpen>();
  private lastSweep = 0;
  private closed = false;
  private undelivered = 0;
  private readonly knownOpenMs: number;

  constructor(private readonly opts: CoalescerOptions) {
    this.knownOpenMs = opts.knownOpenMs ?? opts.windowMs * KNOWN_OPEN_WINDOWS;
  }

  /** Alerts accepted (answered 202) whose coalesced delivery then failed; each was logged. */
  get undeliveredAlerts(): number {
    return this.undelivered;
  }

  /** Alerts counted but not yet sent (for tests and the shutdown log). */
  get pendingAlerts(): number {
    let n = 0;
    for (const window of this.windows.values()) n += window.pending;
    return n;
  }

  /**
   * Delivers the alert, or counts it into the open window for its key, or (fast path) opens a counting
   * window at once when its incident is known open. Rejects when the window's first delivery failed: the
   * sender was not told "accepted" and will retry.
   */
  async submit(target: IncidentTarget, alert: Alert): Promise<CoalescedDelivery> {
    if (this.closed || this.opts.windowMs <= 0) return this.opts.deliver(target, alert);
    const fingerprint = fingerprintKey(target.workflowId, alert.fingerprint);
    this.noteStatus(fingerprint, alert.status);
    const key = windowKey(target.workflowId, alert.fingerprint, alert.status);
    const open = this.windows.get(key);
    if (open) return this.join(key, open, alert);

    const opposite = windowKey(target.workflowId, alert.fingerprint, OPPOSITE[alert.status]);
    const known = this.knownOpen(fingerprint, opposite);
    if (known) return this.countAtOnce(key, target, alert, known);
    // The window exists before anything is awaited, so every concurrent duplicate finds it.
    const window: Window = {
      target,
      first: this.deliverAfter(opposite, target, alert),
      latest: null,
      pending: 0,
      timer: this.windowTimer(key),
    };
    this.windows.set(key, window);
    try {
      return await window.first;
    } catch (err) {
      if (this.windows.get(key) === window) this.discard(key, window);
      this.forget(target, alert);
      throw err;
    }
  }

  /** Sends every counted alert now and waits for all flushes; called at shutdown and by tests. */
  async flush(): Promise<void> {
    while (this.windows.size || this.flushing.size) {
      await Promise.all([...[...this.windows.keys()].map((key) => this.flushWindow(key)), ...this.flushing.values()]);
    }
  }

  /** Stops coalescing (later alerts go straight through, so no timer outlives us) and flushes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /**
   * Fast path: the incident took this alert recently, so this one is only counted; the window's flush
   * delivers it with the rest. The window's `first` is the known delivery, so duplicates joining it are
   * answered without waiting too.
   */
  private countAtOnce(key: string, target: IncidentTarget, alert: Alert, known: KnownOpen): CoalescedDelivery {
    const delivery: Delivery = { result: 'signalled', runId: known.runId };
    const window: Window = { target, first: Promise.resolve(delivery), latest: alert, pending: alert.count, timer: this.windowTimer(key) };
    this.windows.set(key, window);
    if (window.pending >= MAX_ALERT_COUNT) void this.flushWindow(key);
    return { result: 'coalesced', runId: known.runId };
  }

  /**
   * The fast-path state for this fingerprint, when its last status was delivered recently and nothing of
   * the other status is still on its way (the other status must reach the incident first).
   */
  private knownOpen(fingerprint: string, oppositeKey: string): KnownOpen | null {
    const known = this.known.get(fingerprint);
    if (!known || known.until <= Date.now()) return null;
    if (this.windows.has(oppositeKey) || this.flushing.has(oppositeKey)) return null;
    return known;
  }

  /**
   * A status change ends the fast path for the fingerprint: a firing alert after a resolved one may need
   * a new incident, so it goes through `signalWithStart` and waits for it like any first alert.
   */
  private noteStatus(fingerprint: string, status: Alert['status']): void {
    const known = this.known.get(fingerprint);
    if (known?.status !== status) this.known.set(fingerprint, { status, runId: null, until: 0 });
  }

  /** Renews the fast path after a successful delivery, unless the other status arrived meanwhile. */
  private markDelivered(target: IncidentTarget, alert: Alert, delivery: Delivery): void {
    if (delivery.result !== 'signalled') return;
    const known = this.known.get(fingerprintKey(target.workflowId, alert.fingerprint));
    if (known?.status !== alert.status) return;
    known.runId = delivery.runId ?? known.runId;
    known.until = Date.now() + this.knownOpenMs;
  }

  /** After a failed delivery the next alert must find out for itself whether Temporal takes it. */
  private forget(target: IncidentTarget, alert: Alert): void {
    const known = this.known.get(fingerprintKey(target.workflowId, alert.fingerprint));
    if (known) known.until = 0;
  }

  /** Drops expired fast-path entries nothing is in flight for; at most once per window, so it stays cheap. */
  private sweepKnown(): void {
    const now = Date.now();
    if (now - this.lastSweep < this.opts.windowMs) return;
    this.lastSweep = now;
    for (const [fingerprint, known] of this.known) {
      if (known.until > now) continue;
      const [workflowId, fp] = JSON.parse(fingerprint) as [string, string];
      const busy = (['firing', 'resolved'] as const).some((status) => {
        const key = windowKey(workflowId, fp, status);
        return this.windows.has(key) || this.flushing.has(key);
      });
      if (!busy) this.known.delete(fingerprint);
    }
  }

  /**
   * Windows of one storm open in the same millisecond; ending them all in the same tick would send their
   * counts in one burst that stalls the event loop every window. A spread of up to a quarter of a window
   * keeps the flushes apart without delaying any count by more than that.
   */
  private windowTimer(key: string): NodeJS.Timeout {
    const spread = Math.random() * this.opts.windowMs * 0.25;
    return setTimeout(() => {
      void this.flushWindow(key);
      this.sweepKnown();
    }, this.opts.windowMs + spread);
  }

  private async join(key: string, window: Window, alert: Alert): Promise<CoalescedDelivery> {
    window.pending += alert.count;
    window.latest = alert;
    if (window.pending >= MAX_ALERT_COUNT) void this.flushWindow(key);
    const first = await window.first;
    // Nothing to join for a resolved alert: its duplicates have nothing to join either.
    if (first.result === 'no-open-incident') return first;
    return { result: 'coalesced', runId: first.runId };
  }

  /**
   * A firing and a resolved alert for one fingerprint must reach the incident in the order they came:
   * the other status's counted duplicates go out before this alert does.
   */
  private async deliverAfter(oppositeKey: string, target: IncidentTarget, alert: Alert): Promise<Delivery> {
    if (this.windows.has(oppositeKey) || this.flushing.has(oppositeKey)) {
      await this.flushWindow(oppositeKey);
      await this.flushing.get(oppositeKey);
    }
    const delivery = await this.opts.deliver(target, alert);
    this.markDelivered(target, alert, delivery);
    return delivery;
  }

  private discard(key: string, window: Window): void {
    clearTimeout(window.timer);
    this.windows.delete(key);
  }

  private flushWindow(key: string): Promise<void> {
    const window = this.windows.get(key);
    if (!window) return this.flushing.get(key) ?? Promise.resolve();
    this.discard(key, window);
    if (!window.latest || window.pending === 0) return Promise.resolve();
    const previous = this.flushing.get(key) ?? Promise.resolve();
    const done = previous
      .then(() => this.sendCounted(window, { ...window.latest!, count: window.pending }))
      .finally(() => {
        if (this.flushing.get(key) === done) this.flushing.delete(key);
      });
    this.flushing.set(key, done);
    return done;
  }

  private async sendCounted(window: Window, alert: Alert): Promise<void> {
    let first: Delivery;
    try {
      first = await window.first;
    } catch {
      return; // every duplicate waited on the first and was refused with it: the senders retry
    }
    if (first.result === 'no-open-incident') return;
    try {
      this.markDelivered(window.target, alert, await this.opts.deliver(window.target, alert));
    } catch (err) {
      this.forget(window.target, alert);
      this.undelivered += alert.count;
      this.opts.logger.error(
        { err, workflowId: window.target.workflowId, alert: alert.name, fingerprint: alert.fingerprint, count: alert.count },
        `${alert.count} coalesced alert(s) were accepted but could not be delivered to their incident`,
      );
    }
  }
}
