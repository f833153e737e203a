// @ts-check
// One JSON object per line on stdout/stderr: PM2 stores the lines as they are, and whoever diagnoses an
// incident (a human or an activity reading PM2's logs) can parse them.
'use strict';

/**
 * @typedef {(message: string, fields?: Record<string, unknown>) => void} LogFn
 * @param {number} instance
 * @returns {{ info: LogFn, error: LogFn }}
 */
function createLogger(instance) {
  /** @param {'info' | 'error'} level @returns {LogFn} */
  const at = (level) => (msg, fields) => {
    const line = JSON.stringify({ time: new Date().toISOString(), level, service: 'localize-api', instance, pid: process.pid, msg, ...fields });
    if (level === 'error') console.error(line);
    else console.log(line);
  };
  return { info: at('info'), error: at('error') };
}

module.exports = { createLogger };
