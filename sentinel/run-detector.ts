// Runs one detector for one service: observe on its interval, dampen per subject, and turn firing and
// recovered subjects into alerts on the ingest path. A failing observe round is logged, never fatal.
// Stopping ends the loop, then lets the detector release what it holds; stopping twice stops once.
import type { ServiceConfig } from '../config/schema';
import type { Logger } from '../observability/logger';
import type { AlertInput } from '../signals/alert';
import type { AlertSink } from './alert-sink';
import { dampen, initialSubjectState, type SubjectState } from './damping';
import type { Detector, Observation } from './detector';

export function alertFor(service: ServiceConfig, detector: Detector, o: Observation, status: 'firing' | 'resolved', since: number): AlertInput {
  return {
    source: 'sentinel',
    service: service.name,
    name: o.alertName,
    status,
    ...(o.instance !== undefined ? { instance: o.instance } : {}),
    startsAt: new Date(since).toISOString(),
    summary: o.summary,
    labels: { detector: detector.name, subject: o.subject, ...(o.labels ?? {}) },
    fingerprint: `sentinel:${service.name}:${detector.name}:${o.subject}:${o.alertName}`,
    ...(status === 'firing' && o.witnessed ? { witnessed: o.witnessed } : {}),
  };
}

export function runDetector(opts: { service: ServiceConfig; detector: Detector; sink: AlertSink; logger: Logger }): { stop(): Promise<void> } {
  const { service, detector, sink, logger } = opts;
  const subjects = new Map<string, SubjectState>();
  /** The observation each subject last alerted with, so its resolve names the same alert. */
  const firing = new Map<string, Observation>();
  let stopped = false;
  let wake: (() => void) | null = null;

  async function round(): Promise<void> {
    const observations = await detector.observe();
    const now = Date.now();
    const alerts: AlertInput[] = [];
    for (const o of observations) {
      const { state, fire, resolve } = dampen(subjects.get(o.subject) ?? initialSubjectState(), o.failing, now, detector.damping);
      subjects.set(o.subject, state);
      if (fire) {
        firing.set(o.subject, o);
        alerts.push(alertFor(service, detector, o, 'firing', state.firstFailureAt ?? now));
      }
      const fired = firing.get(o.subject);
      if (resolve && fired) {
        firing.delete(o.subject);
        alerts.push(alertFor(service, detector, { ...fired, summary: o.summary }, 'resolved', now));
      }
    }
    if (alerts.length) await sink(alerts);
  }

  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      try {
        await round();
      } catch (err) {
        logger.warn({ err, detector: detector.name, service: service.name }, 'detector round failed');
      }
      // A round that overran must not be followed at once by another: two looks bunched together would
      // let one short blip count twice against the damping.
      const wait = Math.max(detector.intervalMs / 2, detector.intervalMs - (Date.now() - started));
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, wait);
      });
    }
  })();

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    stopped = true;
    wake?.();
    await loop;
    try {
      await detector.stop?.();
    } catch (err) {
      logger.warn({ err, detector: detector.name, service: service.name }, 'detector did not stop cleanly');
    }
  }

  return {
    stop: () => (stopping ??= stop()),
  };
}
