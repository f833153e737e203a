// @ts-check
// The translator: the upstream POST /api/localize hands every job to when LOCALIZE_API_TRANSLATOR_URL is
// set. When it cannot be reached, the target does what a real service does: it writes an error line naming
// the upstream, counts the failure, and answers 502 — the evidence the sentinel's upstream detector reads
// from PM2's error log when nobody configured a probe for the upstream.
'use strict';

const http = require('node:http');
const https = require('node:https');
const { HttpError } = require('./http-io');

const UPSTREAM = 'translator';
// Short: a user waiting on /api/localize must not wait long for an upstream that is gone.
const DEFAULT_TIMEOUT_MS = 1000;

/**
 * POSTs `body` as JSON; resolves with the status code, rejects on refusal, timeout or a broken connection.
 * @param {string} url
 * @param {unknown} body
 * @param {number} timeoutMs
 * @returns {Promise<number>}
 */
function postJson(url, body, timeoutMs) {
  const text = JSON.stringify(body);
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    /** @param {Error} err */
    const fail = (err) => {
      clearTimeout(deadline);
      reject(err);
    };
    const req = client.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } },
      (res) => {
        res.resume();
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(deadline);
          resolve(res.statusCode ?? 0);
        });
      },
    );
    // One deadline for connecting, answering and reading the answer: a socket timeout would not cover a
    // connect that never completes.
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', fail);
    req.end(text);
  });
}

/**
 * @param {{
 *   url: string,
 *   timeoutMs?: number,
 *   metrics: { upstreamCall: (upstream: string, outcome: 'ok' | 'error') => void },
 *   log: { error: import('./log').LogFn },
 * }} deps
 */
function createTranslator({ url, timeoutMs = DEFAULT_TIMEOUT_MS, metrics, log }) {
  return {
    /**
     * Hands a localize job to the translator; throws a 502 HttpError when the translator fails. Any answer but
     * 2xx fails the job: the target cannot promise a translation the translator did not accept.
     * @param {unknown} job
     */
    async submit(job) {
      let reason;
      try {
        const status = await postJson(url, job, timeoutMs);
        if (status >= 200 && status < 300) {
          metrics.upstreamCall(UPSTREAM, 'ok');
          return;
        }
        reason = `answered HTTP ${status}`;
      } catch (err) {
        reason = err instanceof Error ? err.message : String(err);
      }
      metrics.upstreamCall(UPSTREAM, 'error');
      log.error(`upstream ${UPSTREAM} (${url}) failed: ${reason}`, { upstream: UPSTREAM });
      throw new HttpError(502, `upstream ${UPSTREAM} failed: ${reason}`);
    },
  };
}

module.exports = { createTranslator, DEFAULT_TIMEOUT_MS };
