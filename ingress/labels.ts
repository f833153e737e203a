// Label-based normalisation shared by the Prometheus-family sources (Alertmanager and Grafana): both
// send alerts as label sets, so which label names the service, the instance and the risk flags is one
// rule here, and a user who wires either source learns it once.
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { alertSchema, RISK_FLAGS, type Alert, type AlertInput, type RiskFlag } from '../signals/alert';
import { issuesFromZod, PayloadValidationError, type PayloadIssue } from './validation';

/** Labels that may name the service, most specific first: `job` is often the scrape job, so it comes last. */
export const SERVICE_LABELS = ['service', 'app', 'job'] as const;

export function serviceLabelOf(labels: Record<string, string>): (typeof SERVICE_LABELS)[number] | undefined {
  return SERVICE_LABELS.find((label) => labels[label] !== undefined);
}

/** Labels sorted by name with a locale-independent comparison, so the hash is the same on every machine. */
export function labelsFingerprint(labels: Record<string, string>): string {
  const sorted = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

/** Risk flags from a comma list (`"auth,billing"`); every unknown flag is an issue, not silently dropped. */
export function parseRisk(values: string | readonly string[] | undefined, path: string, issues: PayloadIssue[]): RiskFlag[] {
  const raw = typeof values === 'string' ? values.split(',') : (values ?? []);
  const flags = new Set<RiskFlag>();
  for (const value of raw) {
    const flag = value.trim();
    if (!flag) continue;
    if ((RISK_FLAGS as readonly string[]).includes(flag)) flags.add(flag as RiskFlag);
    else issues.push({ path, message: `"${flag}" is not a risk flag; allowed: ${RISK_FLAGS.join(', ')}` });
  }
  return [...flags];
}

export function parseInstance(value: string | undefined, path: string, issues: PayloadIssue[]): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  issues.push({ path, message: `must be a non-negative integer string such as "0" (NODE_APP_INSTANCE), got "${value}"` });
  return undefined;
}

/** The parts of an Alertmanager or Grafana alert that normalisation reads. */
export interface LabelledAlert {
  status: Alert['status'];
  labels: Record<string, string> & { alertname: string };
  annotations: Record<string, string>;
  startsAt: string;
  fingerprint?: string | undefined;
}

/** One labelled alert → the normalised alert input; problems are pushed to `issues` with `alerts.<i>` paths. */
export function normalizeLabelledAlert(
  source: 'alertmanager' | 'grafana',
  alert: LabelledAlert,
  i: number,
  issues: PayloadIssue[],
): AlertInput {
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
    source,
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
}

/** Where in a labelled alert a normalised field came from, so alertSchema's complaints name the sender's field. */
function labelledSourcePath(alert: LabelledAlert, field: PropertyKey | undefined): string {
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

/**
 * Validates normalised inputs against the alert contract; each complaint is reported at the path the
 * sender wrote (`sourcePath` maps a contract field back to the payload field it came from).
 */
export function validateNormalized<T>(
  inputs: AlertInput[],
  originals: readonly T[],
  sourcePath: (original: T, field: PropertyKey | undefined) => string,
  issues: PayloadIssue[],
): Alert[] {
  const alerts: Alert[] = [];
  inputs.forEach((input, i) => {
    const result = alertSchema.safeParse(input);
    if (result.success) {
      alerts.push(result.data);
      return;
    }
    const original = originals[i];
    for (const issue of result.error.issues) {
      const [field, ...rest] = issue.path;
      const fieldPath = original === undefined ? String(field) : sourcePath(original, field);
      issues.push({ path: [`alerts.${i}`, fieldPath, ...rest.map(String)].join('.'), message: issue.message });
    }
  });
  return alerts;
}

export function validateLabelled(inputs: AlertInput[], originals: readonly LabelledAlert[], issues: PayloadIssue[]): Alert[] {
  return validateNormalized(inputs, originals, labelledSourcePath, issues);
}

type LabelledSource = 'alertmanager' | 'grafana';

/** Every alert of a labelled payload → normalised inputs; throws PayloadValidationError naming every problem. */
export function normalizeLabelledAlerts(source: LabelledSource, payloadName: string, alerts: readonly LabelledAlert[]): AlertInput[] {
  const issues: PayloadIssue[] = [];
  const inputs = alerts.map((alert, i) => normalizeLabelledAlert(source, alert, i, issues));
  if (issues.length) throw new PayloadValidationError(payloadName, issues);
  return inputs;
}

export interface LabelledWebhook {
  alerts: Alert[];
  /** Alerts the sender cut from this notification (its max-alerts setting); they never arrive. */
  truncatedAlerts: number;
}

/** The whole path from a labelled webhook's body to validated alerts: schema, normalisation, the alert contract. */
export function parseLabelledWebhook(
  source: LabelledSource,
  payloadName: string,
  schema: z.ZodType<{ alerts: LabelledAlert[]; truncatedAlerts?: number | undefined }>,
  body: unknown,
): LabelledWebhook {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new PayloadValidationError(payloadName, issuesFromZod(parsed.error));
  const payload = parsed.data;
  const issues: PayloadIssue[] = [];
  const alerts = validateLabelled(normalizeLabelledAlerts(source, payloadName, payload.alerts), payload.alerts, issues);
  if (issues.length) throw new PayloadValidationError(payloadName, issues);
  return { alerts, truncatedAlerts: payload.truncatedAlerts ?? 0 };
}
