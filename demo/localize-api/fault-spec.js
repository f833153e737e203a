// @ts-check
// The fault vocabulary: which faults exist, which parameters each takes, and their bounds. Both the HTTP
// switch and the persistent-fault file go through parseFault, so a bad file is rejected the same way a bad
// request is. demo/faults.ts mirrors these shapes as TypeScript types for tests and drills.
'use strict';

const RUNTIME_FAULTS = /** @type {const} */ (['crash', 'hang', 'slow', 'errors', 'unhealthy', 'memory', 'cpu', 'sawtooth', 'log-error']);
/** Longest message the `log-error` fault writes: a log line, not a way to fill the disk. */
const MAX_LOG_ERROR_CHARS = 1000;
const MAX_LOG_ERROR_COUNT = 1000;
const PERSISTENT_FAULTS = /** @type {const} */ (['crash-loop', 'failing-startup']);
/** Most starts a `failing-startup` fault may count down from. */
const MAX_FAILING_STARTS = 1000;

/**
 * @typedef {{ fault: 'crash' } | { fault: 'hang' } | { fault: 'unhealthy' }
 *   | { fault: 'slow', ms: number } | { fault: 'errors', rate: number }
 *   | { fault: 'memory', mbPerSecond: number, maxMb: number } | { fault: 'cpu', percent: number }
 *   | { fault: 'sawtooth', mb: number, periodMs: number }
 *   | { fault: 'log-error', message: string, count: number }} RuntimeFault
 * @typedef {{ fault: 'crash-loop', delayMs: number } | { fault: 'failing-startup', starts?: number }} PersistentFault
 * @typedef {RuntimeFault | PersistentFault} Fault
 */

class FaultSpecError extends Error {
  name = 'FaultSpecError';
}

/**
 * @param {Record<string, unknown>} body
 * @param {string} key
 * @param {number} min
 * @param {number} max
 * @param {number} [fallback] used when the key is absent; without it the key is required
 */
function numberParam(body, key, min, max, fallback) {
  const value = body[key];
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new FaultSpecError(`fault "${String(body.fault)}" needs "${key}": a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * @param {Record<string, unknown>} body
 * @param {string} key
 * @param {number} maxChars
 */
function textParam(body, key, maxChars) {
  const value = body[key];
  if (typeof value !== 'string' || value.trim() === '' || value.length > maxChars) {
    throw new FaultSpecError(`fault "${String(body.fault)}" needs "${key}": a non-blank string of at most ${maxChars} characters, got ${JSON.stringify(value)?.slice(0, 60)}`);
  }
  return value;
}

/**
 * @param {unknown} body
 * @returns {Fault}
 */
function parseFault(body) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FaultSpecError('expected a JSON object such as {"fault":"slow","ms":500}');
  }
  const spec = /** @type {Record<string, unknown>} */ (body);
  switch (spec.fault) {
    case 'crash':
    case 'hang':
    case 'unhealthy':
      return { fault: spec.fault };
    case 'failing-startup': {
      // Without `starts` every start fails until the fault is cleared; with it, that many starts fail and the
      // last of them removes the fault (a dependency that comes back after a known number of attempts).
      if (spec.starts === undefined) return { fault: 'failing-startup' };
      const starts = numberParam(spec, 'starts', 1, MAX_FAILING_STARTS);
      if (!Number.isInteger(starts)) throw new FaultSpecError(`fault "failing-startup" needs "starts": a whole number, got ${starts}`);
      return { fault: 'failing-startup', starts };
    }
    case 'slow':
      return { fault: 'slow', ms: numberParam(spec, 'ms', 1, 600_000) };
    case 'errors':
      return { fault: 'errors', rate: numberParam(spec, 'rate', 0, 1) };
    case 'memory':
      // maxMb keeps a forgotten drill from taking the whole machine down with the demo.
      return { fault: 'memory', mbPerSecond: numberParam(spec, 'mbPerSecond', 0.1, 1024), maxMb: numberParam(spec, 'maxMb', 1, 16_384, 1024) };
    case 'cpu':
      return { fault: 'cpu', percent: numberParam(spec, 'percent', 1, 100) };
    case 'sawtooth':
      // Memory that rises by `mb` and is given back every `periodMs`: busy, not leaking. Bounded like memory:
      // one tooth is held at a time (two when the target runs without --expose-gc, see runtime-faults.js).
      return { fault: 'sawtooth', mb: numberParam(spec, 'mb', 1, 1024, 64), periodMs: numberParam(spec, 'periodMs', 500, 600_000, 2_000) };
    case 'log-error': {
      // One-shot: writes `message` to stderr `count` times through the target's logger, as the target's own
      // errors are written, so diagnosis finds it in the PM2 error log. Nothing stays active.
      const count = numberParam(spec, 'count', 1, MAX_LOG_ERROR_COUNT, 1);
      if (!Number.isInteger(count)) throw new FaultSpecError(`fault "log-error" needs "count": a whole number, got ${count}`);
      return { fault: 'log-error', message: textParam(spec, 'message', MAX_LOG_ERROR_CHARS), count };
    }
    case 'crash-loop':
      return { fault: 'crash-loop', delayMs: numberParam(spec, 'delayMs', 0, 600_000, 300) };
    default:
      throw new FaultSpecError(
        `unknown fault ${JSON.stringify(spec.fault)}; expected one of ${[...RUNTIME_FAULTS, ...PERSISTENT_FAULTS].join(', ')}`,
      );
  }
}

/**
 * @param {Fault} fault
 * @returns {fault is PersistentFault}
 */
function isPersistentFault(fault) {
  return fault.fault === 'crash-loop' || fault.fault === 'failing-startup';
}

module.exports = { parseFault, isPersistentFault, FaultSpecError, RUNTIME_FAULTS, PERSISTENT_FAULTS };
