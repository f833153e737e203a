// @ts-check
// Runtime faults live only in this process's memory: a restart clears them, which is exactly what a
// remediation that restarts the instance should observe. crash and hang are not kept here because they end
// the process's useful life the moment they are applied (see terminal-faults.js).
'use strict';

/**
 * @typedef {import('./fault-spec').RuntimeFault} RuntimeFault
 * @typedef {Exclude<RuntimeFault, { fault: 'crash' } | { fault: 'hang' }>} LastingRuntimeFault
 * @typedef {LastingRuntimeFault & { persistent: false, activeSince: string, retainedMb?: number }} ActiveRuntimeFault
 * @typedef {{ fault: LastingRuntimeFault, activeSince: string, stop: () => void, describe: () => Record<string, number> }} Entry
 */

const MB = 1024 * 1024;
const LEAK_TICK_MS = 100;
// Short slices keep a health check's wait below ~50 ms even at 100 % so "busy" never looks like "hung".
const CPU_SLICE_MS = 50;
const MAX_CPU_SHARE = 0.95;

/** @param {{ mbPerSecond: number, maxMb: number }} fault */
function startMemoryLeak(fault) {
  /** @type {Buffer[]} */
  const retained = [];
  let retainedBytes = 0;
  const chunkBytes = Math.max(1, Math.round((fault.mbPerSecond * MB * LEAK_TICK_MS) / 1000));
  const timer = setInterval(() => {
    if (retainedBytes + chunkBytes > fault.maxMb * MB) return;
    // Filled, not just allocated: untouched pages would not show up in RSS, and RSS is what PM2 watches.
    retained.push(Buffer.alloc(chunkBytes, 0x5a));
    retainedBytes += chunkBytes;
  }, LEAK_TICK_MS);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      retained.length = 0;
    },
    describe: () => ({ retainedMb: Math.round((retainedBytes / MB) * 10) / 10 }),
  };
}

/** @param {{ percent: number }} fault */
function startCpuBurn(fault) {
  const busyMs = CPU_SLICE_MS * Math.min(fault.percent / 100, MAX_CPU_SHARE);
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const burnSlice = () => {
    const until = performance.now() + busyMs;
    while (performance.now() < until) {
      // spinning is the point
    }
    timer = setTimeout(burnSlice, CPU_SLICE_MS - busyMs);
    timer.unref();
  };
  timer = setTimeout(burnSlice, 0);
  timer.unref();
  return { stop: () => clearTimeout(timer), describe: () => ({}) };
}

/** @param {LastingRuntimeFault} fault */
function startEffect(fault) {
  if (fault.fault === 'memory') return startMemoryLeak(fault);
  if (fault.fault === 'cpu') return startCpuBurn(fault);
  // slow, errors and unhealthy act when requests arrive; nothing runs in the background.
  return { stop: () => {}, describe: () => ({}) };
}

class RuntimeFaults {
  /** @type {Map<LastingRuntimeFault['fault'], Entry>} */
  #active = new Map();

  /** Applying a fault that is already active replaces it, so a drill can raise or lower its intensity. @param {LastingRuntimeFault} fault */
  apply(fault) {
    this.#active.get(fault.fault)?.stop();
    this.#active.set(fault.fault, { fault, activeSince: new Date().toISOString(), ...startEffect(fault) });
  }

  /** @returns {LastingRuntimeFault['fault'][]} the names that were active */
  clear() {
    const names = [...this.#active.keys()];
    for (const entry of this.#active.values()) entry.stop();
    this.#active.clear();
    return names;
  }

  /** @returns {ActiveRuntimeFault[]} */
  list() {
    return [...this.#active.values()].map((entry) => ({
      ...entry.fault,
      ...entry.describe(),
      persistent: /** @type {const} */ (false),
      activeSince: entry.activeSince,
    }));
  }

  /** Extra latency for /api routes, in ms. */
  get slowMs() {
    const entry = this.#active.get('slow');
    return entry?.fault.fault === 'slow' ? entry.fault.ms : 0;
  }

  /** Fraction of /api responses to fail with 500. */
  get errorRate() {
    const entry = this.#active.get('errors');
    return entry?.fault.fault === 'errors' ? entry.fault.rate : 0;
  }

  get unhealthy() {
    return this.#active.has('unhealthy');
  }
}

module.exports = { RuntimeFaults };
