// @ts-check
// Runtime faults live only in this process's memory: a restart clears them, which is exactly what a
// remediation that restarts the instance should observe. crash and hang are not kept here because they end
// the process's useful life the moment they are applied (see terminal-faults.js), nor log-error, which only
// writes its lines once (fault-switch.js).
'use strict';

/**
 * @typedef {import('./fault-spec').RuntimeFault} RuntimeFault
 * @typedef {Exclude<RuntimeFault, { fault: 'crash' } | { fault: 'hang' } | { fault: 'log-error' }>} LastingRuntimeFault
 * @typedef {LastingRuntimeFault & { persistent: false, activeSince: string, retainedMb?: number, heldMb?: number, teeth?: number, gc?: 'forced' | 'pressure' }} ActiveRuntimeFault
 * @typedef {{ fault: LastingRuntimeFault, activeSince: string, stop: () => void, describe: () => Record<string, number | string> }} Entry
 */

const MB = 1024 * 1024;
const LEAK_TICK_MS = 100;
// Short slices keep a health check's wait below ~50 ms even at 100 % so "busy" never looks like "hung".
const CPU_SLICE_MS = 50;
const MAX_CPU_SHARE = 0.95;
const SAWTOOTH_TICK_MS = 100;
/** A tooth climbs over this share of its period, then drops and stays low for the rest. */
const SAWTOOTH_RISE_SHARE = 0.75;
// Each tooth lives in one reservation whose pages are touched bit by bit, so RSS climbs smoothly. It is at
// least 64 MB because glibc gives a malloc its own mapping (unmapped, so returned to the OS, when freed)
// only above its mmap threshold, and that threshold follows the largest block freed up to 32 MB: smaller
// teeth would soon be carved out of the heap, which keeps freed pages, and the sawtooth would turn into a
// plateau. Untouched pages of the reservation cost address space, not RSS.
const SAWTOOTH_MIN_RESERVE_BYTES = 64 * MB;
const PRESSURE_CHUNK_BYTES = 64 * 1024;
const PRESSURE_TOTAL_BYTES = 64 * MB;

/**
 * How collectGarbage works in this process; the fault listing shows it.
 * @returns {'forced' | 'pressure'}
 */
function gcMode() {
  return typeof globalThis.gc === 'function' ? 'forced' : 'pressure';
}

/**
 * Frees what nothing references any more. With --expose-gc (how demo/ecosystem.ts starts the target) a
 * full collection at once; without it, a burst of short-lived garbage that makes V8 collect on its own,
 * which (measured) frees a dropped tooth only by the end of the next one: still a sawtooth, one tooth higher.
 */
function collectGarbage() {
  if (gcMode() === 'forced') {
    /** @type {() => void} */ (globalThis.gc)();
    return;
  }
  for (let made = 0; made < PRESSURE_TOTAL_BYTES; made += PRESSURE_CHUNK_BYTES) {
    new Array(PRESSURE_CHUNK_BYTES / 8).fill(made);
  }
}

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

/**
 * A GC sawtooth: every period, fills up to `mb` over the first part of it, then drops the references and
 * collects, so RSS climbs and falls back again and again with no trend. Busy, not leaking.
 * @param {{ mb: number, periodMs: number }} fault
 */
function startSawtooth(fault) {
  const toothBytes = Math.round(fault.mb * MB);
  const ticksPerPeriod = Math.max(2, Math.round(fault.periodMs / SAWTOOTH_TICK_MS));
  const riseTicks = Math.max(1, Math.floor(ticksPerPeriod * SAWTOOTH_RISE_SHARE));
  /** @type {Buffer | null} */
  let tooth = null;
  let filledBytes = 0;
  let tick = 0;
  let teeth = 0;
  const release = () => {
    if (tooth === null) return;
    tooth = null;
    filledBytes = 0;
    teeth += 1;
    collectGarbage();
  };
  const timer = setInterval(() => {
    const phase = tick % ticksPerPeriod;
    tick += 1;
    if (phase >= riseTicks) {
      release();
      return;
    }
    tooth ??= Buffer.allocUnsafeSlow(Math.max(toothBytes, SAWTOOTH_MIN_RESERVE_BYTES));
    const target = Math.round((toothBytes * (phase + 1)) / riseTicks);
    // Filled, not just allocated: untouched pages would not show up in RSS, and RSS is what PM2 watches.
    tooth.fill(0x5a, filledBytes, target);
    filledBytes = target;
  }, SAWTOOTH_TICK_MS);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      release();
    },
    describe: () => ({ heldMb: Math.round((filledBytes / MB) * 10) / 10, teeth, gc: gcMode() }),
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
  if (fault.fault === 'sawtooth') return startSawtooth(fault);
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
