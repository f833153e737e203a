// Grafana unified alerting's webhook contact point (payload version "1") → normalised alerts. Its
// alerts are Alertmanager-shaped label sets, so they follow the same rules (ingress/labels.ts); the
// Grafana-only fields (values, dashboard and panel URLs, `state`, title, message) are accepted and
// ignored. https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/
import { z } from 'zod';
import { alertStatus, requiredString, stringMap } from './alertmanager';
import { parseLabelledWebhook, type LabelledWebhook } from './labels';

const PAYLOAD_NAME = 'Grafana payload';

export const grafanaAlertSchema = z.object({
  status: alertStatus,
  labels: z.object({ alertname: requiredString('the alert rule name') }).catchall(z.string()),
  annotations: stringMap.default({}),
  startsAt: requiredString('RFC 3339 time the alert started firing'),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
  silenceURL: z.string().optional(),
  dashboardURL: z.string().optional(),
  panelURL: z.string().optional(),
  imageURL: z.string().optional(),
  /** Query results by ref id (`{"B": 97.5}`); null when the rule evaluated to no data. */
  values: z.record(z.string(), z.number().nullable()).nullable().optional(),
  valueString: z.string().optional(),
});

export const grafanaPayloadSchema = z.object(
  {
    version: z.literal('1', { error: 'must be "1" (Grafana webhook payload version 1)' }),
    /** `alerting` while any alert in the group fires, `ok` when all resolved; per-alert status is what counts. */
    state: z.string().optional(),
    status: alertStatus.optional(),
    receiver: z.string().optional(),
    groupKey: z.string().optional(),
    truncatedAlerts: z.number().int().min(0).optional(),
    orgId: z.number().optional(),
    title: z.string().optional(),
    message: z.string().optional(),
    groupLabels: stringMap.optional(),
    commonLabels: stringMap.optional(),
    commonAnnotations: stringMap.optional(),
    externalURL: z.string().optional(),
    alerts: z.array(grafanaAlertSchema, { error: 'must be an array of alerts' }).min(1, 'must contain at least one alert'),
  },
  { error: 'must be a JSON object (the Grafana webhook payload)' },
);

export type GrafanaPayload = z.infer<typeof grafanaPayloadSchema>;

/** The whole path from request body to normalised, validated alerts; throws PayloadValidationError. */
export function parseGrafanaWebhook(body: unknown): LabelledWebhook {
  return parseLabelledWebhook('grafana', PAYLOAD_NAME, grafanaPayloadSchema, body);
}
