// The one configuration schema. Everything a user can set lives here with its default, so a broken
// config is refused at start-up with the path of the bad field instead of surfacing mid-incident.
import { z } from 'zod';

const serviceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be 1-63 lowercase letters, digits, ".", "_" or "-"');

export const serviceSchema = z.object({
  /** The PM2 app name; automation acts only on services listed here. */
  name: serviceName,
  /** Health URL of one instance; `{port}` is replaced by basePort + NODE_APP_INSTANCE. */
  healthUrl: z.string().regex(/^https?:\/\/.+/, 'must be an http(s) URL').default('http://127.0.0.1:{port}/healthz'),
  basePort: z.number().int().min(1).max(65535),
  /** Expected instance count; lets the sentinel notice an instance that vanished. */
  instances: z.number().int().min(1).max(64).default(1),
  /** Tags such as "auth" or "billing" mark services whose incidents always escalate. */
  tags: z.array(z.string()).default([]),
});

export const sentinelSchema = z.object({
  enabled: z.boolean().default(true),
  probeIntervalMs: z.number().int().min(100).default(1000),
  probeTimeoutMs: z.number().int().min(50).default(1000),
  /** Consecutive failed probes before an alert: one blip never opens an incident. */
  failuresToAlert: z.number().int().min(1).default(2),
  /** After alerting, how long the prober stays quiet for that instance (the incident owns it now). */
  holdDownMs: z.number().int().min(0).default(5000),
});

export const policySchema = z.object({
  mode: z.enum(['auto', 'observe', 'frozen']).default('auto'),
  /** Below this confidence the incident goes to a human. */
  confidenceThreshold: z.number().min(0).max(1).default(0.7),
  /** Failed remediation attempts (act + verify) before automation stops and escalates. */
  maxFailedAttempts: z.number().int().min(1).max(5).default(2),
  diagnosis: z
    .object({
      samples: z.number().int().min(1).max(20).default(3),
      sampleIntervalMs: z.number().int().min(50).default(300),
      // Diagnosis only confirms what the sentinel already saw; a health endpoint slower than this is sick.
      probeTimeoutMs: z.number().int().min(50).default(500),
    })
    .prefault({}),
  verification: z
    .object({
      /** Health must hold for this long with no new PM2 restarts. */
      windowMs: z.number().int().min(100).default(3000),
      intervalMs: z.number().int().min(50).default(500),
      /** How long to wait for the first healthy answer before judging (startup time). */
      graceMs: z.number().int().min(0).default(8000),
      probeTimeoutMs: z.number().int().min(50).default(1000),
    })
    .prefault({}),
});

export const configSchema = z.object({
  temporal: z
    .object({
      address: z.string().optional(),
      namespace: z.string().default('default'),
      taskQueue: z.string().default('zero-touch'),
      /** Where `npm start` keeps the embedded dev server's state, so incidents survive a restart. */
      dbFilename: z.string().default('.zt/temporal.db'),
      uiUrl: z.string().optional(),
    })
    .prefault({}),
  http: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8088),
      webhookToken: z.string().min(16, 'must be at least 16 characters').optional(),
      bodyLimitBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
    })
    .prefault({}),
  pm2: z
    .object({
      /** PM2_HOME of the daemon that runs the services; unset → $PM2_HOME or ~/.pm2. */
      home: z.string().optional(),
    })
    .prefault({}),
  /** Empty → `npm start` runs and watches the demo target `localize-api`. */
  services: z.array(serviceSchema).default([]),
  /** Humans whose signals are obeyed; empty → anyone (issue 4 enforces the allowlist). */
  operators: z.array(z.string()).default([]),
  sentinel: sentinelSchema.prefault({}),
  policy: policySchema.prefault({}),
  demo: z
    .object({
      basePort: z.number().int().min(1).max(65535).default(3100),
      instances: z.number().int().min(1).max(8).default(2),
      stateDir: z.string().default('.zt/demo'),
      /** The demo runs under a PM2 daemon of its own, stopped with `npm start`. */
      pm2Home: z.string().default('.zt/pm2'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type PolicyConfig = z.infer<typeof policySchema>;
export type SentinelConfig = z.infer<typeof sentinelSchema>;
