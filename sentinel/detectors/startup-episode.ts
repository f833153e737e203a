// One instance's way back to health after a (re)start. An episode opens when an instance that is not
// healthy is first seen or has just restarted, and closes at its first healthy answer. It is a failed
// startup when it has lasted graceMs and PM2 restarted the instance during it, gave up on it (errored),
// or never brought it online. An instance that answered and later crashed closed its episode by
// answering: repeated crashes after serving are a crash loop, not a failed startup.

export interface StartupObservation {
  at: number;
  pid: number;
  status: string;
  restarts: number;
  /** PM2's pm_uptime: when the current (or last) process started. */
  startedAt: number;
  healthy: boolean;
}

export interface StartupEpisode {
  last: StartupObservation | null;
  /** When the instance last (re)started without answering since; null when healthy. */
  openSince: number | null;
  restartedDuringEpisode: boolean;
}

export const noEpisode = (): StartupEpisode => ({ last: null, openSince: null, restartedDuringEpisode: false });

/** Statuses an operator causes: stopping an instance is not failing to start it. */
const DELIBERATE = new Set(['stopped', 'stopping']);

export function nextEpisode(prev: StartupEpisode, o: StartupObservation): StartupEpisode {
  if (o.healthy || DELIBERATE.has(o.status)) return { last: o, openSince: null, restartedDuringEpisode: false };
  const restarted =
    prev.last !== null && (o.restarts > prev.last.restarts || (o.pid !== 0 && prev.last.pid !== 0 && o.pid !== prev.last.pid));
  if (prev.openSince !== null) {
    return { last: o, openSince: prev.openSince, restartedDuringEpisode: prev.restartedDuringEpisode || restarted };
  }
  // First sight of an unhealthy instance: its episode began at its last start. An instance that was
  // healthy and is not now opens an episode only if it restarted; otherwise it is hung or unhealthy,
  // which the health detector names.
  if (prev.last === null) return { last: o, openSince: o.startedAt > 0 ? Math.min(o.startedAt, o.at) : o.at, restartedDuringEpisode: false };
  if (restarted) return { last: o, openSince: o.startedAt > prev.last.at ? Math.min(o.startedAt, o.at) : o.at, restartedDuringEpisode: false };
  return { last: o, openSince: null, restartedDuringEpisode: false };
}

export function failedStartup(episode: StartupEpisode, now: number, graceMs: number): boolean {
  const { openSince, last } = episode;
  if (openSince === null || last === null || now - openSince < graceMs) return false;
  // Not online covers both "errored" (PM2 gave up) and never getting past launching.
  return episode.restartedDuringEpisode || last.status !== 'online';
}
