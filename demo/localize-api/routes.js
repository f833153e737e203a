// @ts-check
// Request dispatch for the demo target: the pretend API under /api (where slow and errors faults bite, and
// whose localize jobs go to the translator upstream when one is configured), health and metrics for the
// sentinel, and the fault switch.
'use strict';

const { HttpError, sendJson, readJsonBody, sleep } = require('./http-io');
const { listVideos, getVideo, localize } = require('./catalog');
const { createFaultSwitch } = require('./fault-switch');
const { createTranslator } = require('./translator');

/**
 * @typedef {import('node:http').IncomingMessage} IncomingMessage
 * @typedef {import('node:http').ServerResponse} ServerResponse
 * @typedef {(req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void>} Handler
 * @typedef {{ template: string, pattern: RegExp, methods: Record<string, Handler> }} Route
 */

/**
 * @param {{
 *   config: import('./config').DemoConfig,
 *   faults: import('./runtime-faults').RuntimeFaults,
 *   metrics: ReturnType<typeof import('./metrics').createMetrics>,
 *   log: { info: import('./log').LogFn, error: import('./log').LogFn },
 * }} deps
 * @returns {(req: IncomingMessage, res: ServerResponse) => void}
 */
function createRequestHandler({ config, faults, metrics, log }) {
  const faultSwitch = createFaultSwitch({ config, faults, log });
  const translator = config.translatorUrl === null ? null : createTranslator({ url: config.translatorUrl, metrics, log });

  /** @type {Route[]} */
  const routes = [
    {
      template: '/healthz',
      pattern: /^\/healthz$/,
      methods: {
        GET: async (_req, res) => {
          const status = faults.unhealthy ? 'unhealthy' : 'ok';
          sendJson(res, faults.unhealthy ? 503 : 200, {
            status,
            instance: config.instance,
            pid: process.pid,
            release: config.release,
            uptimeSeconds: Math.round(process.uptime() * 10) / 10,
          });
        },
      },
    },
    {
      template: '/metrics',
      pattern: /^\/metrics$/,
      methods: {
        GET: async (_req, res) => {
          const text = await metrics.registry.metrics();
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
      },
    },
    {
      template: '/__faults',
      pattern: /^\/__faults$/,
      methods: { GET: faultSwitch.list, POST: faultSwitch.inject, DELETE: faultSwitch.clear },
    },
    {
      template: '/api/videos',
      pattern: /^\/api\/videos$/,
      methods: { GET: async (_req, res) => sendJson(res, 200, listVideos()) },
    },
    {
      template: '/api/videos/:id',
      pattern: /^\/api\/videos\/([^/]+)$/,
      methods: { GET: async (_req, res, [id]) => sendJson(res, 200, getVideo(id ?? '')) },
    },
    {
      template: '/api/localize',
      pattern: /^\/api\/localize$/,
      methods: {
        POST: async (req, res) => {
          const job = await localize(await readJsonBody(req));
          await translator?.submit(job);
          sendJson(res, 200, job);
        },
      },
    },
  ];

  /** The slow and errors faults, applied only where users would feel them. */
  async function applyApiFaults() {
    if (faults.slowMs > 0) await sleep(faults.slowMs);
    if (faults.errorRate > 0 && Math.random() < faults.errorRate) throw new HttpError(500, 'injected fault: errors');
  }

  /** @param {string} pathname */
  function findRoute(pathname) {
    for (const route of routes) {
      const match = route.pattern.exec(pathname);
      if (match) return { route, rawParams: match.slice(1) };
    }
    return null;
  }

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {string} method
   * @param {string} pathname
   */
  async function serve(req, res, method, pathname) {
    const found = findRoute(pathname);
    if (!found) throw new HttpError(404, `no route for ${method} ${pathname}`);
    const handler = found.route.methods[method];
    if (!handler) {
      res.setHeader('allow', Object.keys(found.route.methods).join(', '));
      throw new HttpError(405, `${method} is not allowed on ${found.route.template}`);
    }
    if (found.route.template.startsWith('/api/')) await applyApiFaults();
    await handler(req, res, found.rawParams.map(decodeParam));
  }

  return (req, res) => {
    const startedAt = process.hrtime.bigint();
    const method = req.method ?? 'GET';
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    // Unknown paths share one label so a scanner cannot blow up the metric's cardinality.
    const template = findRoute(pathname)?.route.template ?? 'unmatched';
    res.on('finish', () => {
      metrics.observe(template, method, res.statusCode, Number(process.hrtime.bigint() - startedAt) / 1e9);
    });
    serve(req, res, method, pathname).catch((err) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (!(err instanceof HttpError)) log.error('request failed', { method, pathname, error: String(err?.stack ?? err) });
      if (res.headersSent) return void res.destroy();
      sendJson(res, status, { error: err instanceof Error ? err.message : String(err) });
    });
  };
}

/** @param {string | undefined} raw */
function decodeParam(raw) {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    throw new HttpError(400, `path segment ${JSON.stringify(raw)} is not valid percent-encoding`);
  }
}

module.exports = { createRequestHandler };
