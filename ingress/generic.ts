// The generic JSON webhook: for every tool that is neither Alertmanager nor Grafana. One alert object,
// or `{ "alerts": [ ... ] }`; the fields are the normalised alert's own, with defaults for what a simple
// script would not bother to send. Documented in docs/alerts.md.
import { z } from 'zod';
import type { Alert, AlertInput } from '../signals/alert';
import { alertStatus, stringMap } from './alertmanager';
import { labelsFingerprint, parseRisk, validateNormalized } from './labels';
import { issuesFromZod, PayloadValidationError, type PayloadIssue } from './validation';

const PAYLOAD_NAME = 'generic alert payload';

function required(what: string) {
  return z.string({
    error: (issue) => (issue.input === undefined ? `is required (${what})` : `must be a string (${what})`),
  });
}

export const genericAlertSchema = z.object(
  {
    service: required('the configured service name'),
    name: required('the alert name, e.g. "InstanceUnhealthy"'),
    status: alertStatus.default('firing'),
    instance: z
      .number({ error: 'must be a number (NODE_APP_INSTANCE of the instance concerned)' })
      .int('must be a whole number')
      .min(0, 'must not be negative')
      .optional(),
    summary: z.string({ error: 'must be a string' }).optional(),
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
    risk: z.union([z.string(), z.array(z.string())], { error: 'must be an array of risk flags or a comma-separated string' }).optional(),
    startsAt: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time such as "2025-12-27T10:00:00Z"' }).optional(),
    fingerprint: z.string({ error: 'must be a string' }).min(1, 'must not be empty').optional(),
  },
  { error: 'must be a JSON object (one alert)' },
);

const genericBatchSchema = z.object({
  alerts: z.array(genericAlertSchema, { error: 'must be an array of alerts' }).min(1, 'must contain at least one alert'),
});

export type GenericAlert = z.infer<typeof genericAlertSchema>;

/** Stable across senders and restarts: what the alert is about, not when it was sent. */
export function genericFingerprint(service: string, name: string, labels: Record<string, string>): string {
  return labelsFingerprint({ ...labels, __service: service, __name: name });
}

function isBatch(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'alerts' in body;
}

function toInput(alert: GenericAlert, path: string, issues: PayloadIssue[], now: string): AlertInput {
  const labels = alert.labels ?? {};
  return {
    source: 'generic',
    service: alert.service,
    name: alert.name,
    status: alert.status,
    ...(alert.instance === undefined ? {} : { instance: alert.instance }),
    summary: alert.summary ?? alert.annotations?.summary ?? '',
    labels,
    annotations: alert.annotations ?? {},
    risk: parseRisk(alert.risk, `${path}risk`, issues),
    startsAt: alert.startsAt ?? now,
    fingerprint: alert.fingerprint ?? genericFingerprint(alert.service, alert.name, labels),
  };
}

/** The whole path from request body to normalised, validated alerts; throws PayloadValidationError. */
export function parseGenericWebhook(body: unknown, now = new Date().toISOString()): Alert[] {
  const batch = isBatch(body);
  const parsed = batch ? genericBatchSchema.safeParse(body) : genericAlertSchema.safeParse(body);
  if (!parsed.success) throw new PayloadValidationError(PAYLOAD_NAME, issuesFromZod(parsed.error));
  const alerts: GenericAlert[] = 'alerts' in parsed.data ? parsed.data.alerts : [parsed.data];
  const issues: PayloadIssue[] = [];
  const inputs = alerts.map((alert, i) => toInput(alert, batch ? `alerts.${i}.` : '', issues, now));
  if (issues.length) throw new PayloadValidationError(PAYLOAD_NAME, issues);
  const validated = validateNormalized(inputs, alerts, (_alert, field) => String(field ?? ''), issues);
  if (!issues.length) return validated;
  // validateNormalized names alerts `alerts.<i>`; a single-alert body has no such prefix.
  const named = batch ? issues : issues.map((issue) => ({ ...issue, path: issue.path.replace(/^alerts\.0\./, '') }));
  throw new PayloadValidationError(PAYLOAD_NAME, named);
}
