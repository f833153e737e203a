// Alertmanager's webhook (payload version 4) → normalised alerts. Strict about the fields we read,
// lenient about the rest: unknown fields are ignored so a newer Alertmanager does not break ingest.
// https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { alertSchema, RISK_FLAGS, type Alert, type AlertInput, type RiskFlag } from '../signals/alert';
import { issuesFromZod, PayloadValidationError, type PayloadIssue } from './validation';

const PAYLOAD_NAME = 'Alertmanager payload';

function requiredString(what: string) {
  return z.string({
    error: (issue) => (issue.input === undefined ? `is required (${what})` : `must be a string (${what})`),
  });
}

const alertStatus = z.enum(['firing', 'resolved'], { error: 'must be "firing" or "resolved"' });
const stringMap = z.record(z.string(), z.string());

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

/** Labels that may name the service, most specific first: `job` is often the scrape job, so it comes last. */
const SERVICE_LABELS = ['service', 'app', 'job'] as const;

function serviceLabelOf(labels: AlertmanagerAlert['labels']): (typeof SERVICE_LABELS)[number] | undefined {
  return SERVICE_LABELS.find((label) => labels[label] !== undefined);
}

/** Labels sorted by name with a locale-independent comparison, so the hash is the same on every machine. */
export function labelsFingerprint(labels: Record<string, string>): string {
  const sorted = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

function parseRisk(value: string | undefined, path: string, issues: PayloadIssue[]): RiskFlag[] {
  const flags = new Set<RiskFlag>();
  for (const raw of (value ?? '').split(',')) {
    const flag = raw.trim();
    if (!flag) continue;
    if ((RISK_FLAGS as readonly string[]).includes(flag)) flags.add(flag as RiskFlag);
    else issues.push({ path, message: `"${flag}" is not a risk flag; allowed: ${RISK_FLAGS.join(', ')}` });
  }
  return [...flags];
}

function parseInstance(value: string | undefined, path: string, issues: PayloadIssue[]): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  issues.push({ path, message: `must be a non-negative integer string such as "0" (NODE_APP_INSTANCE), got "${value}"` });
  return undefined;
}

/**
 * Maps each Alertmanager alert to the normalised alert input. Throws PayloadValidationError listing
 * every problem found (not just the first), each with the path of the offending field.
 */
export function normalizeAlertmanager(payload: AlertmanagerPayload): AlertInput[] {
  const issues: PayloadIssue[] = [];
  const inputs = payload.alerts.map((alert, i): AlertInput => {
    const { labels, annotations } = alert;
    const serviceLabel = serviceLabelOf(labels);
    if (!serviceLabel) {
      issues.push({
        path: `alerts.${i}.labels.service`,
        message: 'is required: set label "service" (or "app" or "job") to the configured service name',
      });
    }
    const instance = parseInstance(labels.pm2_instance, `alerts.${i}.labels.pm2_instance`, issues);
    return {
      source: 'alertmanager',
      service: serviceLabel ? (labels[serviceLabel] ?? '') : '',
      name: labels.alertname,
      status: alert.status,
      ...(instance === undefined ? {} : { instance }),
      summary: annotations.summary ?? annotations.description ?? '',
      labels,
      annotations,
      risk: parseRisk(labels.risk, `alerts.${i}.labels.risk`, issues),
      startsAt: alert.startsAt,
      fingerprint: alert.fingerprint || labelsFingerprint(labels),
    };
  });
  if (issues.length) throw new PayloadValidationError(PAYLOAD_NAME, issues);
  return inputs;
}

/** Where in the Alertmanager alert a normalised field came from, so alertSchema's complaints name it. */
function sourcePathOf(alert: AlertmanagerAlert, field: PropertyKey | undefined): string {
  switch (field) {
    case 'service':
      return `labels.${serviceLabelOf(alert.labels) ?? 'service'}`;
    case 'name':
      return 'labels.alertname';
    case 'instance':
      return 'labels.pm2_instance';
    case 'risk':
      return 'labels.risk';
    case 'summary':
      return alert.annotations.summary !== undefined ? 'annotations.summary' : 'annotations.description';
    default:
      return String(field ?? '');
  }
}

export interface AlertmanagerWebhook {
  alerts: Alert[];
  /** Alerts Alertmanager dropped from this notification (receiver `max_alerts`); they never arrive. */
  truncatedAlerts: number;
}

/** The whole path from request body to normalised, validated alerts; throws PayloadValidationError. */
export function parseAlertmanagerWebhook(body: unknown): AlertmanagerWebhook {
  const parsed = alertmanagerPayloadSchema.safeParse(body);
  if (!parsed.success) throw new PayloadValidationError(PAYLOAD_NAME, issuesFromZod(parsed.error));
  const payload = parsed.data;
  const inputs = normalizeAlertmanager(payload);
  const issues: PayloadIssue[] = [];
  const alerts: Alert[] = [];
  inputs.forEach((input, i) => {
    const result = alertSchema.safeParse(input);
    if (result.success) {
      alerts.push(result.data);
      return;
    }
    const source = payload.alerts[i];
    for (const issue of result.error.issues) {
      const [field, ...rest] = issue.path;
      const fieldPath = source ? sourcePathOf(source, field) : String(field);
      issues.push({ path: [`alerts.${i}`, fieldPath, ...rest.map(String)].join('.'), message: issue.message });
    }
  });
  if (issues.length) throw new PayloadValidationError(PAYLOAD_NAME, issues);
  return { alerts, truncatedAlerts: payload.truncatedAlerts ?? 0 };
}
