// @ts-check
// Reads the demo target's settings from the environment. PM2 merges the launching shell's environment into
// every app, so empty values count as unset rather than as "listen on port 0" or "bind to ''".
'use strict';

const path = require('node:path');

/**
 * @typedef {object} DemoConfig
 * @property {number} instance NODE_APP_INSTANCE as PM2 assigns it (0..instances-1, stable across restarts)
 * @property {number} port
 * @property {string} host
 * @property {string} release
 * @property {string | null} stateDir where persistent faults live; null disables them
 * @property {string | null} faultToken required in `x-fault-token` for /__faults when set
 * @property {string | null} translatorUrl where POST /api/localize submits jobs; null: the target translates nothing
 */

/** @param {string | undefined} value */
function nonEmpty(value) {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * @param {string} name
 * @param {string | undefined} raw
 * @param {number} fallback
 */
function integerSetting(name, raw, fallback) {
  const value = nonEmpty(raw);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return parsed;
}

/**
 * @param {string} name
 * @param {string | undefined} raw
 */
function urlSetting(name, raw) {
  const value = nonEmpty(raw);
  if (value === undefined) return null;
  if (!/^https?:\/\/[^/]/.test(value) || !URL.canParse(value)) throw new Error(`${name} must be an http(s) URL, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * The release this code was deployed as, when it runs from a release layout (`<appDir>/releases/<version>/`,
 * see deploys/releases.ts): node resolves the `current` link PM2 starts it through, so the directory of the
 * running script is the release's own. Null anywhere else.
 * @param {string | undefined} scriptDir
 */
function releaseFromLayout(scriptDir) {
  if (scriptDir === undefined) return null;
  return path.basename(path.dirname(scriptDir)) === 'releases' ? path.basename(scriptDir) : null;
}

/**
 * @param {NodeJS.ProcessEnv} env
 * @param {string} [scriptDir] the directory of the running localize-api.js; its release-layout version wins over RELEASE
 * @returns {DemoConfig}
 */
function readConfig(env, scriptDir) {
  const instance = integerSetting('NODE_APP_INSTANCE', env.NODE_APP_INSTANCE, 0);
  const basePort = integerSetting('LOCALIZE_API_BASE_PORT', env.LOCALIZE_API_BASE_PORT, 3100);
  return {
    instance,
    port: integerSetting('PORT', env.PORT, basePort + instance),
    host: nonEmpty(env.HOST) ?? '127.0.0.1',
    release: releaseFromLayout(scriptDir) ?? nonEmpty(env.RELEASE) ?? 'dev',
    stateDir: nonEmpty(env.DEMO_STATE_DIR) ?? null,
    faultToken: nonEmpty(env.DEMO_FAULT_TOKEN) ?? null,
    translatorUrl: urlSetting('LOCALIZE_API_TRANSLATOR_URL', env.LOCALIZE_API_TRANSLATOR_URL),
  };
}

module.exports = { readConfig, releaseFromLayout };
