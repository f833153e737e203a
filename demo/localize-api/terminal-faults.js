// @ts-check
// Faults that end the process's useful life. Each waits until its HTTP answer has reached the kernel, so the
// caller (a test, a drill, a curious user) gets its 202 before the instance dies or freezes.
'use strict';

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 * @param {() => void} then
 */
function respondThen(res, status, body, then) {
  // Connection: close keeps a client from reusing a socket to a process that is about to vanish or freeze.
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify(body), () => setImmediate(then));
}

/**
 * @param {string} reason
 * @param {(message: string, fields?: Record<string, unknown>) => void} log
 */
function exitWithFailure(reason, log) {
  log(`exiting with code 1: ${reason}`);
  process.exit(1);
}

/**
 * A busy loop, not a sleep: the event loop stops, so health checks time out and signal handlers never run,
 * while the process stays alive and PM2 keeps listing it online, as a real deadlock or runaway loop would.
 * @param {(message: string, fields?: Record<string, unknown>) => void} log
 * @returns {never}
 */
function blockEventLoopForever(log) {
  log('hang fault: blocking the event loop until killed');
  for (;;) {
    // intentionally empty
  }
}

module.exports = { respondThen, exitWithFailure, blockEventLoopForever };
