// Sends one event to every channel that should get it, in parallel, and keeps track across attempts of
// what was already delivered (or refused for good) so a retry only re-sends what still needs it.
import { postJson, type OutgoingRequest } from './http';
import type { Channel, DeliveryRecord, NotifyEvent } from './types';

export interface PlannedDelivery {
  event: NotifyEvent;
  dedupKey?: string;
  request: OutgoingRequest;
}

export interface Refusal {
  channel: Channel;
  event: NotifyEvent;
  problem: string;
}

/** Carried from one attempt to the next (the activity's heartbeat details). */
export interface DeliveryProgress {
  delivered: DeliveryRecord[];
  refused: Refusal[];
}

export interface DeliveryRound {
  progress: DeliveryProgress;
  /** Failures of this attempt worth retrying. */
  retryable: Refusal[];
}

export const emptyProgress = (): DeliveryProgress => ({ delivered: [], refused: [] });

const keyOf = (x: { channel: Channel; event: NotifyEvent }) => `${x.event} ${x.channel}`;

/** Heartbeat details come back as plain JSON from another attempt, maybe another worker version: check them. */
export function readProgress(details: unknown): DeliveryProgress {
  const d = details as Partial<DeliveryProgress> | null | undefined;
  if (!d || typeof d !== 'object' || !Array.isArray(d.delivered) || !Array.isArray(d.refused)) return emptyProgress();
  const ok = (x: unknown): x is { channel: Channel; event: NotifyEvent } =>
    !!x && typeof x === 'object' && typeof (x as any).channel === 'string' && typeof (x as any).event === 'string';
  return { delivered: d.delivered.filter(ok) as DeliveryRecord[], refused: d.refused.filter(ok) as Refusal[] };
}

export async function deliver(
  planned: PlannedDelivery[],
  opts: { timeoutMs: number; attempt: number; previous: DeliveryProgress; onProgress?: (p: DeliveryProgress) => void; now?: () => Date },
): Promise<DeliveryRound> {
  const now = opts.now ?? (() => new Date());
  const progress: DeliveryProgress = { delivered: [...opts.previous.delivered], refused: [...opts.previous.refused] };
  const settled = new Set([...progress.delivered, ...progress.refused].map(keyOf));
  const retryable: Refusal[] = [];
  await Promise.all(
    planned
      .filter((p) => !settled.has(keyOf({ channel: p.request.channel, event: p.event })))
      .map(async (p) => {
        const res = await postJson(p.request, opts.timeoutMs);
        const who = { channel: p.request.channel, event: p.event };
        if (res.ok) {
          progress.delivered.push({
            ...who,
            ...(p.dedupKey ? { dedupKey: p.dedupKey } : {}),
            status: res.status,
            attempt: opts.attempt,
            deliveredAt: now().toISOString(),
          });
          // Recorded at once, not at the end: a retry after this point must not send it again.
          opts.onProgress?.(progress);
        } else if (res.retryable) {
          retryable.push({ ...who, problem: res.problem });
        } else {
          progress.refused.push({ ...who, problem: res.problem });
        }
      }),
  );
  return { progress, retryable };
}
