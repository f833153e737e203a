// Grafana's webhook HMAC: with a secret on the contact point, Grafana sends the hex HMAC-SHA256 of the
// raw body in X-Grafana-Alerting-Signature; with a timestamp header configured too, it signs
// `<unix seconds>:<body>` and sends the seconds in that header (grafana/alerting http/hmac.go). The
// timestamp is honoured when present and must be recent, so a captured request cannot be replayed later.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { IngressError } from './errors';

export const GRAFANA_SIGNATURE_HEADER = 'x-grafana-alerting-signature';
export const GRAFANA_TIMESTAMP_HEADER = 'x-grafana-alerting-timestamp';
/** How far a signed timestamp may be from our clock, either way (clock skew plus delivery retries). */
export const MAX_TIMESTAMP_SKEW_SECONDS = 300;

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

export function grafanaSignature(secret: string, rawBody: Buffer, timestamp?: string): string {
  const hmac = createHmac('sha256', secret);
  if (timestamp !== undefined) hmac.update(`${timestamp}:`);
  return hmac.update(rawBody).digest('hex');
}

function refuse(message: string): IngressError {
  return new IngressError(401, 'unauthorized', message);
}

/** Throws a 401 IngressError naming what is wrong; returns quietly when the signature is good. */
export function verifyGrafanaSignature(
  secret: string,
  rawBody: Buffer,
  headers: IncomingHttpHeaders,
  nowSeconds = Math.floor(Date.now() / 1000),
): void {
  const presented = headerValue(headers, GRAFANA_SIGNATURE_HEADER);
  if (presented === undefined) {
    throw refuse('missing X-Grafana-Alerting-Signature header; set the HMAC secret on the Grafana contact point');
  }
  if (!/^[0-9a-f]{64}$/i.test(presented)) {
    throw refuse('X-Grafana-Alerting-Signature must be the 64-character hex HMAC-SHA256 of the request body');
  }
  const timestamp = headerValue(headers, GRAFANA_TIMESTAMP_HEADER);
  if (timestamp !== undefined) {
    if (!/^\d+$/.test(timestamp)) throw refuse('X-Grafana-Alerting-Timestamp must be Unix seconds');
    if (Math.abs(nowSeconds - Number(timestamp)) > MAX_TIMESTAMP_SKEW_SECONDS) {
      throw refuse(`X-Grafana-Alerting-Timestamp is more than ${MAX_TIMESTAMP_SKEW_SECONDS} s from the ingress clock`);
    }
  }
  const expected = Buffer.from(grafanaSignature(secret, rawBody, timestamp), 'hex');
  // Both buffers are 32 bytes (the format was checked), so the comparison leaks nothing about length.
  if (!timingSafeEqual(Buffer.from(presented, 'hex'), expected)) {
    throw refuse('X-Grafana-Alerting-Signature does not match the body; check the contact point HMAC secret');
  }
}
