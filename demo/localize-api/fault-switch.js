// @ts-check
// The /__faults endpoint: how tests, drills and curious users break one instance on purpose.
'use strict';

const { timingSafeEqual } = require('node:crypto');
const { parseFault, isPersistentFault, FaultSpecError } = require('./fault-spec');
const { readPersistentFault, writePersistentFault, removePersistentFault } = require('./persistent-faults');
const { respondThen, exitWithFailure, blockEventLoopForever } = require('./terminal-faults');
const { HttpError, sendJson, readJsonBody } = require('./http-io');

/**
 * @typedef {import('./config').DemoConfig} DemoConfig
 * @typedef {import('./runtime-faults').RuntimeFaults} RuntimeFaults
 * @typedef {import('./log').LogFn} LogFn
 * @typedef {import('node:http').IncomingMessage} IncomingMessage
 * @typedef {import('node:http').ServerResponse} ServerResponse
 */

/**
 * @param {{ config: DemoConfig, faults: RuntimeFaults, log: { info: LogFn, error: LogFn } }} deps
 */
function createFaultSwitch({ config, faults, log }) {
  const identity = () => ({ instance: config.instance, pid: process.pid });

  /** @param {IncomingMessage} req */
  function authorize(req) {
    if (config.faultToken === null) return;
    const given = Buffer.from(String(req.headers['x-fault-token'] ?? ''));
    const expected = Buffer.from(config.faultToken);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError(401, 'missing or wrong x-fault-token header (DEMO_FAULT_TOKEN is set on this instance)');
    }
  }

  function listActive() {
    const stored = config.stateDir === null ? null : readPersistentFault(config.stateDir, config.instance, log.error);
    const persistent = [];
    if (stored) {
      const { setAt, ...fault } = stored;
      persistent.push({ ...fault, persistent: true, activeSince: setAt });
    }
    return [...faults.list(), ...persistent];
  }

  /** @param {IncomingMessage} req @param {ServerResponse} res */
  async function inject(req, res) {
    let fault;
    try {
      fault = parseFault(await readJsonBody(req));
    } catch (err) {
      if (err instanceof FaultSpecError) throw new HttpError(400, err.message);
      throw err;
    }
    log.info('fault injected', { fault });
    if (isPersistentFault(fault)) {
      if (config.stateDir === null) {
        throw new HttpError(400, `persistent fault "${fault.fault}" is unavailable: this instance was started without DEMO_STATE_DIR`);
      }
      writePersistentFault(config.stateDir, config.instance, fault);
      // Exiting now makes the fault take effect at once: every restart PM2 makes reads the file and fails.
      const body = { accepted: fault, ...identity(), persistent: true, exiting: true };
      respondThen(res, 202, body, () => exitWithFailure(`persistent fault ${fault.fault} set`, log.error));
      return;
    }
    if (fault.fault === 'crash') {
      respondThen(res, 202, { accepted: fault, ...identity(), persistent: false, exiting: true }, () =>
        exitWithFailure('crash fault', log.error),
      );
      return;
    }
    if (fault.fault === 'hang') {
      respondThen(res, 202, { accepted: fault, ...identity(), persistent: false, exiting: false }, () =>
        blockEventLoopForever(log.error),
      );
      return;
    }
    if (fault.fault === 'log-error') {
      for (let n = 0; n < fault.count; n++) log.error(fault.message, { fault: 'log-error' });
      sendJson(res, 202, { accepted: fault, ...identity(), persistent: false, exiting: false });
      return;
    }
    faults.apply(fault);
    sendJson(res, 202, { accepted: fault, ...identity(), persistent: false, exiting: false, faults: listActive() });
  }

  /** @param {IncomingMessage} _req @param {ServerResponse} res */
  async function clear(_req, res) {
    /** @type {string[]} */
    const cleared = faults.clear();
    if (config.stateDir !== null) {
      const stored = readPersistentFault(config.stateDir, config.instance, log.error);
      if (removePersistentFault(config.stateDir, config.instance) && stored) cleared.push(stored.fault);
    }
    log.info('faults cleared', { cleared });
    sendJson(res, 200, { cleared, ...identity() });
  }

  /** @param {IncomingMessage} _req @param {ServerResponse} res */
  async function list(_req, res) {
    sendJson(res, 200, { ...identity(), faults: listActive() });
  }

  /** @param {(req: IncomingMessage, res: ServerResponse) => Promise<void>} handler */
  const guarded = (handler) => async (/** @type {IncomingMessage} */ req, /** @type {ServerResponse} */ res) => {
    authorize(req);
    await handler(req, res);
  };

  return { list: guarded(list), inject: guarded(inject), clear: guarded(clear) };
}

module.exports = { createFaultSwitch };
