// The notifiers section of the config: where humans are told about incidents (docs/notifications.md).
// Pure zod, no I/O. Sections are strict: a misspelt optional key (`hmacsecret`) would otherwise be dropped
// silently and a receiver would get unsigned requests.
import { z } from 'zod';

/** What a notification is about; generic webhooks subscribe to a subset. */
export const NOTIFY_EVENTS = ['resolved', 'escalated', 'human-resolved', 'page-resolved'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

const httpUrl = z
  .string()
  .trim()
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL');

// RFC 9110 token characters.
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Set by the notifier itself: the body's type and length, and the signature a receiver trusts.
const reservedHeaders = new Set(['content-type', 'content-length', 'host', 'x-zerotouch-signature', 'x-zerotouch-event', 'x-zerotouch-delivery']);

export const slackSchema = z.strictObject({
  /** The incoming-webhook URL; it is itself the secret (prefer ZT_SLACK_WEBHOOK_URL). */
  webhookUrl: httpUrl,
  /** Honoured only by legacy webhooks; an app's webhook always posts to the channel it was made for. */
  channel: z.string().trim().min(1).max(80).optional(),
  username: z.string().trim().min(1).max(80).optional(),
});

export const pagerdutySchema = z.strictObject({
  eventsUrl: httpUrl.default(PAGERDUTY_EVENTS_URL),
  /**
   * The integration (routing) key of an Events API v2 integration. PagerDuty's are 32 characters; other
   * lengths are accepted for PagerDuty-compatible receivers, but whitespace (a pasted newline) is not.
   */
  routingKey: z
    .string()
    .min(1, 'must not be empty (set it here or in ZT_PAGERDUTY_ROUTING_KEY)')
    .max(256, 'must be at most 256 characters')
    .regex(/^\S+$/, 'must not contain whitespace'),
  /** payload.source: where the problem is; default the worker's host name. */
  source: z.string().trim().min(1).max(255).optional(),
});

export const webhookSchema = z.strictObject({
  /** Names the webhook in delivery records and in ZT_NOTIFY_WEBHOOK_<NAME>_SECRET. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'must be 1-63 letters, digits, "_" or "-"'),
  url: httpUrl,
  events: z.array(z.enum(NOTIFY_EVENTS)).min(1, `must list at least one of ${NOTIFY_EVENTS.join(', ')}`),
  headers: z
    .record(z.string(), z.string())
    .superRefine((headers, ctx) => {
      for (const name of Object.keys(headers)) {
        if (!headerName.test(name)) ctx.addIssue({ code: 'custom', message: `"${name}" is not a valid header name`, path: [name] });
        else if (reservedHeaders.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', message: `"${name}" is set by zero-touch and cannot be overridden`, path: [name] });
      }
    })
    .optional(),
  /** When set, every request carries X-ZeroTouch-Signature: sha256=<hex HMAC of the raw body>. */
  hmacSecret: z.string().min(16, 'must be at least 16 characters').optional(),
});

export const notifiersSchema = z.object({
  /** Self-resolved incidents: a message, never a page. */
  slack: slackSchema.optional(),
  /** Escalations only: trigger, then resolve with the same dedup_key when a human closes the incident. */
  pagerduty: pagerdutySchema.optional(),
  webhooks: z
    .array(webhookSchema)
    .superRefine((hooks, ctx) => {
      const seen = new Set<string>();
      hooks.forEach((h, i) => {
        if (seen.has(h.name)) ctx.addIssue({ code: 'custom', message: `"${h.name}" is listed twice`, path: [i, 'name'] });
        seen.add(h.name);
      });
    })
    .default([]),
  /** Per HTTP request; the reporting activities run for at most 30 s and deliver in parallel. */
  timeoutMs: z.number().int().min(100).max(25_000).default(5000),
  /** Base URL of the Temporal Web UI as the humans reading a message reach it; links point there. */
  publicUrl: httpUrl.default('http://localhost:8233').transform((s) => s.replace(/\/+$/, '')),
});

export type NotifiersConfig = z.infer<typeof notifiersSchema>;
export type WebhookConfig = z.infer<typeof webhookSchema>;

/** ZT_NOTIFY_WEBHOOK_<NAME>_SECRET: the name upper-cased, "-" as "_". */
export function webhookSecretEnvName(name: string): string {
  return `ZT_NOTIFY_WEBHOOK_${name.toUpperCase().replace(/-/g, '_')}_SECRET`;
}

/**
 * Secrets from the environment over the file's notifiers section (raw, before validation), so they need
 * not sit in a config file: ZT_SLACK_WEBHOOK_URL, ZT_PAGERDUTY_ROUTING_KEY and one
 * ZT_NOTIFY_WEBHOOK_<NAME>_SECRET per configured webhook. Returns `raw` itself when none is set.
 */
export function withNotifierEnv(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  const slackUrl = env.ZT_SLACK_WEBHOOK_URL;
  const routingKey = env.ZT_PAGERDUTY_ROUTING_KEY;
  const section = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, any>) : undefined;
  const hooks: unknown[] | undefined = Array.isArray(section?.webhooks) ? section.webhooks : undefined;
  const secretFor = (hook: unknown) => {
    const name = (hook as { name?: unknown } | null)?.name;
    return typeof name === 'string' ? env[webhookSecretEnvName(name)] : undefined;
  };
  const anyHookSecret = hooks?.some((h) => secretFor(h) !== undefined) ?? false;
  if (!slackUrl && !routingKey && !anyHookSecret) return raw;
  if (raw !== undefined && section === undefined) return raw; // not an object: let validation name it
  const merged: Record<string, any> = structuredClone(section ?? {});
  const sub = (key: string): Record<string, unknown> => {
    const v = merged[key];
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {};
  };
  if (slackUrl) merged.slack = { ...sub('slack'), webhookUrl: slackUrl };
  if (routingKey) merged.pagerduty = { ...sub('pagerduty'), routingKey };
  if (anyHookSecret && hooks) {
    merged.webhooks = hooks.map((h) => {
      const secret = secretFor(h);
      return secret === undefined ? h : { ...(h as object), hmacSecret: secret };
    });
  }
  return merged;
}
