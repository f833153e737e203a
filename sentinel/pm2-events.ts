// Crash detection from PM2's own event bus: an exit PM2 did not cause on request is a crash, several
// in a short window are a crash loop, and "restart overlimit" means PM2 has given up on the process.
// Exits we or a human asked for are not incidents. PM2 flags none of its exits as manual; a requested
// stop or restart announces two exits, the first with the process still "stopping", the second
// "stopped" about 100 ms later, while a crash announces one "stopped" exit.
import type { ServiceConfig } from '../config/schema';
import type { Logger } from '../observability/logger';
import type { Pm2BusEvent, Pm2Client } from '../pm2/client';
import type { AlertInput } from '../signals/alert';
import type { AlertSink } from './alert-sink';

const CRASH_LOOP_EXITS = 3;
const CRASH_LOOP_WINDOW_MS = 30_000;
/** How long after a "stopping" exit the matching "stopped" exit still belongs to the request. */
const REQUESTED_EXIT_PAIR_MS = 10_000;

/** Remembers requested stops per pm_id so their second exit is not taken for a crash. */
export class RequestedExits {
  private readonly pending = new Map<number, number>();

  isRequested(event: Pm2BusEvent): boolean {
    const pmId = event.process.pmId;
    if (event.manually || event.process.status === 'stopping') {
      this.pending.set(pmId, event.at);
      return true;
    }
    const since = this.pending.get(pmId);
    if (since !== undefined && event.at - since <= REQUESTED_EXIT_PAIR_MS) {
      this.pending.delete(pmId);
      return true;
    }
    return false;
  }
}

export function alertFromPm2Event(event: Pm2BusEvent, recentExits: number, requested: boolean): AlertInput | null {
  const p = event.process;
  const base = {
    source: 'sentinel' as const,
    service: p.name,
    status: 'firing' as const,
    instance: p.instance,
    startsAt: new Date(event.at).toISOString(),
    labels: { pm_id: String(p.pmId), detector: 'pm2-bus' },
  };
  if (event.event === 'restart overlimit') {
    return {
      ...base,
      name: 'ProcessErrored',
      fingerprint: `sentinel:${p.name}:${p.instance}:ProcessErrored`,
      summary: `PM2 stopped restarting ${p.name} instance ${p.instance} after too many unstable restarts.`,
    };
  }
  if (event.event === 'exit' && !requested) {
    const loop = recentExits >= CRASH_LOOP_EXITS;
    const name = loop ? 'ProcessCrashLoop' : 'ProcessExited';
    return {
      ...base,
      name,
      fingerprint: `sentinel:${p.name}:${p.instance}:${name}`,
      summary: loop
        ? `${p.name} instance ${p.instance} exited ${recentExits} times in ${CRASH_LOOP_WINDOW_MS / 1000} s (last exit code ${p.exitCode ?? 'unknown'}).`
        : `${p.name} instance ${p.instance} exited with code ${p.exitCode ?? 'unknown'}.`,
    };
  }
  return null;
}

export async function watchPm2Events(opts: {
  pm2: Pm2Client;
  services: ServiceConfig[];
  sink: AlertSink;
  logger: Logger;
}): Promise<{ stop(): void }> {
  const watched = new Set(opts.services.map((s) => s.name));
  const exits = new Map<string, number[]>();
  const requestedExits = new RequestedExits();
  let stopped = false;
  await opts.pm2.onProcessEvent((event) => {
    if (stopped || !watched.has(event.process.name)) return;
    const id = `${event.process.name}:${event.process.instance}`;
    const requested = event.event === 'exit' && requestedExits.isRequested(event);
    if (event.event === 'exit' && !requested) {
      const recent = [...(exits.get(id) ?? []), event.at].filter((t) => event.at - t <= CRASH_LOOP_WINDOW_MS);
      exits.set(id, recent);
    }
    const alert = alertFromPm2Event(event, exits.get(id)?.length ?? 0, requested);
    if (!alert) return;
    opts.sink([alert]).catch((err) => opts.logger.error({ err, alert: alert.name }, 'could not deliver a PM2 alert'));
  });
  // Stopping matters at shutdown: killing our own PM2 daemon makes every process exit.
  return { stop: () => void (stopped = true) };
}
