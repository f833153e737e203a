// Scrapes one instance's Prometheus endpoint. The timeout matters: a hung instance must cost the sentinel
// one bounded round, never a stuck detector.
import { parsePrometheusText, type Sample } from './prometheus-text';

export interface Scrape {
  /** When the request was sent: the counters read are at least as new as this. */
  at: number;
  samples: Sample[];
}

export class ScrapeError extends Error {
  override name = 'ScrapeError';
}

/** `base` is the instance's origin (its health URL's scheme, host and port); `metricsPath` starts with `/`. */
export async function scrapeMetrics(base: string, metricsPath: string, timeoutMs: number): Promise<Scrape> {
  const url = new URL(metricsPath, base);
  const at = Date.now();
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { headers: { 'user-agent': 'zero-touch-sentinel' }, signal: AbortSignal.timeout(timeoutMs) });
    text = await response.text();
  } catch (err) {
    throw new ScrapeError(`GET ${url.href} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!response.ok) throw new ScrapeError(`GET ${url.href} answered HTTP ${response.status}`);
  return { at, samples: parsePrometheusText(text) };
}
