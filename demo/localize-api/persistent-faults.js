// @ts-check
// Faults that must outlive the process (crash-loop, failing-startup) live in <stateDir>/faults-<instance>.json,
// because PM2's restart gives every new process a clean memory. demo/faults.ts writes and removes the same
// files from the outside, so the file name and JSON shape are a contract between the two.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { parseFault, isPersistentFault } = require('./fault-spec');

/**
 * @typedef {import('./fault-spec').PersistentFault} PersistentFault
 * @typedef {PersistentFault & { setAt: string }} StoredPersistentFault
 */

/**
 * @param {string} stateDir
 * @param {number} instance
 */
function persistentFaultPath(stateDir, instance) {
  return path.join(stateDir, `faults-${instance}.json`);
}

/**
 * Returns the stored fault, or null when there is none. A file that cannot be understood is reported and
 * ignored: refusing to start over a typo would itself look like the failing-startup fault.
 * @param {string} stateDir
 * @param {number} instance
 * @param {(message: string) => void} warn
 * @returns {StoredPersistentFault | null}
 */
function readPersistentFault(stateDir, instance, warn) {
  const file = persistentFaultPath(stateDir, instance);
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const raw = JSON.parse(text);
    const fault = parseFault(raw);
    if (!isPersistentFault(fault)) throw new Error(`"${fault.fault}" is not a persistent fault`);
    const setAt = typeof raw.setAt === 'string' ? raw.setAt : fs.statSync(file).mtime.toISOString();
    return { ...fault, setAt };
  } catch (err) {
    warn(`ignoring unreadable persistent fault file ${file}: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

/**
 * @param {string} stateDir
 * @param {number} instance
 * @param {PersistentFault} fault
 * @returns {StoredPersistentFault}
 */
function writePersistentFault(stateDir, instance, fault) {
  const stored = { ...fault, setAt: new Date().toISOString() };
  writeStored(stateDir, instance, stored);
  return stored;
}

/**
 * One start consumed by a counted `failing-startup` fault (one with `starts`): the count goes down by one, and
 * the start that takes it to zero removes the file, so the start after it succeeds. Returns how many starts
 * will still fail after this one; null for a fault that fails every start until it is cleared.
 * @param {string} stateDir
 * @param {number} instance
 * @param {StoredPersistentFault & { fault: 'failing-startup' }} stored
 * @returns {number | null}
 */
function consumeFailingStart(stateDir, instance, stored) {
  if (stored.starts === undefined) return null;
  const left = stored.starts - 1;
  if (left <= 0) {
    removePersistentFault(stateDir, instance);
    return 0;
  }
  writeStored(stateDir, instance, { ...stored, starts: left });
  return left;
}

/**
 * Written to a temporary name and renamed, so a process restarting mid-write never reads half a file.
 * @param {string} stateDir
 * @param {number} instance
 * @param {StoredPersistentFault} stored
 */
function writeStored(stateDir, instance, stored) {
  const file = persistentFaultPath(stateDir, instance);
  fs.mkdirSync(stateDir, { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(stored)}\n`);
  fs.renameSync(temporary, file);
}

/**
 * @param {string} stateDir
 * @param {number} instance
 * @returns {boolean} whether a file was removed
 */
function removePersistentFault(stateDir, instance) {
  try {
    fs.unlinkSync(persistentFaultPath(stateDir, instance));
    return true;
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') return false;
    throw err;
  }
}

module.exports = { persistentFaultPath, readPersistentFault, writePersistentFault, removePersistentFault, consumeFailingStart };
