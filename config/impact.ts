// How an incident's user impact is estimated (reporting/user-impact.ts): from the service's own request
// counters (Prometheus text, `http_requests_total{route,status}`), scraped when the incident opens and when
// it ends.
//
//   services:
//     - name: localize-api
//       impact: { metricsPath: /metrics, requestsPerUserPerMinute: 6 }
import { z } from 'zod';

export const impactSchema = z.object({
  /** Prometheus text of each instance (same host and port as its health URL). */
  metricsPath: z.string().startsWith('/').default('/metrics'),
  /**
   * How many requests one active user sends per minute: turns failed requests into affected users (a user
   * is affected when at least one of their requests failed). Measure it from your traffic; 6 is a guess.
   */
  requestsPerUserPerMinute: z.number().positive().max(100_000).default(6),
  scrapeTimeoutMs: z.number().int().min(50).max(10_000).default(1_000),
});

export type ImpactConfig = z.infer<typeof impactSchema>;
