// @ts-check
// localize-api: the demo target, a stand-in for the LocalizeVideos API that zero-touch watches and heals.
// PM2 runs this file directly with node (fork or cluster mode), one process per instance, each on
// LOCALIZE_API_BASE_PORT + NODE_APP_INSTANCE. Plain node:http and no loader, because every restart's startup
// time is part of the recovery time a remediation is judged on. Fault switches: see localize-api/fault-switch.js.
'use strict';

const http = require('node:http');
const { readConfig } = require('./localize-api/config');
const { createLogger } = require('./localize-api/log');
const { createMetrics } = require('./localize-api/metrics');
const { RuntimeFaults } = require('./localize-api/runtime-faults');
const { readPersistentFault, persistentFaultPath, consumeFailingStart } = require('./localize-api/persistent-faults');
const { createRequestHandler } = require('./localize-api/routes');

// Below PM2's kill_timeout (1000 ms in demo/ecosystem.ts), so a healthy instance always exits on its own terms.
const GRACEFUL_SHUTDOWN_MS = 700;

const config = readConfig(process.env, __dirname);
const log = createLogger(config.instance);
const persistentFault = config.stateDir === null ? null : readPersistentFault(config.stateDir, config.instance, log.error);

if (persistentFault?.fault === 'failing-startup' && config.stateDir !== null) {
  const left = consumeFailingStart(config.stateDir, config.instance, persistentFault);
  const until =
    left === null ? `remove ${persistentFaultPath(config.stateDir, config.instance)}` : left === 0 ? 'the last failing start: the next one succeeds' : `${left} more start(s) will fail`;
  // Thrown, not a quiet exit: a real broken release dies with a stack trace in the error log.
  throw new Error(`failing-startup fault: instance ${config.instance} refuses to start (${until})`);
}

const faults = new RuntimeFaults();
const metrics = createMetrics();
const server = http.createServer(createRequestHandler({ config, faults, metrics, log }));

server.on('error', (err) => {
  log.error('server error', { error: err.message });
  process.exit(1);
});

server.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  log.info('listening', { url: `http://${config.host}:${port}`, port, release: config.release, startupMs: Math.round(process.uptime() * 1000) });
  if (persistentFault?.fault === 'crash-loop' && config.stateDir !== null) {
    const stateDir = config.stateDir;
    log.error(`crash-loop fault: exiting in ${persistentFault.delayMs} ms`);
    setTimeout(() => {
      // Re-read so that clearing the fault rescues this very process instead of costing one more restart.
      if (readPersistentFault(stateDir, config.instance, log.error)?.fault === 'crash-loop') process.exit(1);
      log.info('crash-loop fault was cleared before it fired; staying up');
    }, persistentFault.delayMs);
  }
});

/** @param {NodeJS.Signals} signal */
function shutDown(signal) {
  log.info('shutting down', { signal });
  faults.clear();
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), GRACEFUL_SHUTDOWN_MS).unref();
}

process.once('SIGINT', shutDown);
process.once('SIGTERM', shutDown);
