// Alertmanager's webhook (payload version 4) → normalised alerts. Strict about the fields we read,
// lenient about the rest: unknown fields are ignored so a newer Alertmanager does not break ingest.
// https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
import { z } from 'zod';
import type { AlertInput } from '../signals/alert';
import { normalizeLabelledAlerts, parseLabelledWebhook, type LabelledWebhook } from './labels';

export { labelsFingerprint } from './labels';

const PAYLOAD_NAME = 'Alertmanager payload';

export function requiredString(what: string) {
  return z.string({
    error: (issue) => (issue.input === undefined ? `is required (${what})` : `must be a string (${what})`),
  });
}

export const alertStatus = z.enum(['firing', 'resolved'], { error: 'must be "firing" or "resolved"' });
export const stringMap = z.record(z.string(), z.string());

export const alertmanagerAlertSchema = z.object({
  status: alertStatus,
  labels: z.object({ alertname: requiredString('the alert name') }).catchall(z.string()),
  annotations: stringMap.default({}),
  startsAt: requiredString('RFC 3339 time the alert started firing'),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

export const alertmanagerPayloadSchema = z.object(
  {
    version: z.literal('4', { error: 'must be "4" (Alertmanager webhook payload version 4)' }),
    groupKey: z.string().optional(),
    /** How many alerts Alertmanager left out because of the receiver's `max_alerts`. */
    truncatedAlerts: z.number().int().min(0).optional(),
    status: alertStatus.optional(),
    receiver: z.string().optional(),
    groupLabels: stringMap.optional(),
    commonLabels: stringMap.optional(),
    commonAnnotations: stringMap.optional(),
    externalURL: z.string().optional(),
    alerts: z
      .array(alertmanagerAlertSchema, { error: 'must be an array of alerts' })
      .min(1, 'must contain at least one alert'),
  },
  { error: 'must be a JSON object (the Alertmanager webhook payload)' },
);

export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;
export type AlertmanagerAlert = z.infer<typeof alertmanagerAlertSchema>;

/**
 * Maps each Alertmanager alert to the normalised alert input. Throws PayloadValidationError listing
 * every problem found (not just the first), each with the path of the offending field.
 */
export function normalizeAlertmanager(payload: AlertmanagerPayload): AlertInput[] {
  return normalizeLabelledAlerts('alertmanager', PAYLOAD_NAME, payload.alerts);
}

/** The whole path from request body to normalised, validated alerts; throws PayloadValidationError. */
export function parseAlertmanagerWebhook(body: unknown): LabelledWebhook {
  return parseLabelledWebhook('alertmanager', PAYLOAD_NAME, alertmanagerPayloadSchema, body);
}
