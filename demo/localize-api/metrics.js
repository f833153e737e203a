// @ts-check
// The Prometheus surface the sentinel and Prometheus scrape: request counts and latency by route, calls to
// upstreams by outcome, plus prom-client's default process metrics (RSS, CPU, event-loop lag) that memory
// and CPU faults move.
'use strict';

const client = require('prom-client');

function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route template, method and status code',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by route template',
    labelNames: ['route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const upstreamRequests = new client.Counter({
    name: 'upstream_requests_total',
    help: 'Calls to the upstreams this service depends on, by upstream and outcome (ok or error)',
    labelNames: ['upstream', 'outcome'],
    registers: [registry],
  });
  return {
    registry,
    /**
     * @param {string} route a template such as /api/videos/:id, never the raw path, to bound label cardinality
     * @param {string} method
     * @param {number} status
     * @param {number} seconds
     */
    observe(route, method, status, seconds) {
      requests.inc({ route, method, status: String(status) });
      duration.observe({ route }, seconds);
    },
    /**
     * @param {string} upstream
     * @param {'ok' | 'error'} outcome
     */
    upstreamCall(upstream, outcome) {
      upstreamRequests.inc({ upstream, outcome });
    },
  };
}

module.exports = { createMetrics };
