// The one configuration schema. Everything a user can set lives here with its default, so a broken
// config is refused at start-up with the path of the bad field instead of surfacing mid-incident.
import { z } from 'zod';
import { actionsSchema } from './actions';
import { governorSchema } from './governor';
import { metricsSchema } from './metrics';
import { notifiersSchema } from './notifiers';
import { impactSchema } from './impact';

const serviceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be 1-63 lowercase letters, digits, ".", "_" or "-"');

/** Flap damping shared by every detector: alert when `failures` of the last `samples` looks fail. */
export const dampingSchema = z
  .object({
    samples: z.number().int().min(1).max(100).default(3),
    failures: z.number().int().min(1).max(100).default(3),
    /** After an alert, how long the same subject stays quiet (the incident owns it now). */
    holdDownMs: z.number().int().min(0).default(30_000),
  })
  .refine((d) => d.failures <= d.samples, { message: 'failures must not exceed samples', path: ['failures'] });

/** The source of a regular expression, refused at load time when it does not compile. */
const regexSource = z
  .string()
  .min(1)
  .superRefine((source, ctx) => {
    try {
      new RegExp(source, 'i');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(err as Error).message}` });
    }
  });

const detectorBase = { intervalMs: z.number().int().min(100).default(1000), damping: dampingSchema.optional() };

/**
 * Per-service detectors. Memory, CPU, startup and reboot need only PM2 and run by default; the others run
 * only when their section names what they need (paths, routes, upstreams, names, a load balancer).
 */
export const detectorsSchema = z.object({
  memory: z
    .object({
      ...detectorBase,
      enabled: z.boolean().default(true),
      /** Sustained growth over the window; a GC sawtooth has no trend and does not count. */
      growthMbPerMinute: z.number().positive().default(30),
      windowMs: z.number().int().min(5_000).default(60_000),
      /** A hard ceiling regardless of trend. */
      maxRssMb: z.number().positive().optional(),
    })
    .prefault({}),
  cpu: z
    .object({
      ...detectorBase,
      enabled: z.boolean().default(true),
      percent: z.number().min(1).max(100).default(90),
      sustainedMs: z.number().int().min(1_000).default(10_000),
    })
    .prefault({}),
  startup: z
    .object({
      ...detectorBase,
      enabled: z.boolean().default(true),
      /** An instance not online and healthy this long after a (re)start failed to start. */
      graceMs: z.number().int().min(500).default(15_000),
    })
    .prefault({}),
  reboot: z
    .object({
      ...detectorBase,
      enabled: z.boolean().default(true),
      /** Changes on every boot of the host. */
      bootIdPath: z.string().default('/proc/sys/kernel/random/boot_id'),
      /**
       * Where the last boot id seen on this host is kept, so a reboot that also restarted the sentinel is
       * still noticed when it comes back.
       */
      stateFile: z.string().default('.zt/last-boot.json'),
    })
    .prefault({}),
  disk: z
    .object({
      ...detectorBase,
      paths: z.array(z.string().min(1)).min(1),
      minFreePercent: z.number().min(0).max(100).default(10),
      minFreeInodesPercent: z.number().min(0).max(100).default(5),
    })
    .optional(),
  routes: z
    .object({
      ...detectorBase,
      /** Prometheus text scraped from each instance (same host and port as its health URL). */
      metricsPath: z.string().startsWith('/').default('/metrics'),
      /** p95 latency above this (ms) over the window is a route timeout. */
      p95Ms: z.number().positive().default(1000),
      windowMs: z.number().int().min(1_000).default(15_000),
      minRequests: z.number().int().min(1).default(5),
    })
    .optional(),
  deploy: z
    .object({
      ...detectorBase,
      /** The deploy registry (JSON lines) that `zt deploy` appends to. */
      registryPath: z.string().default('.zt/deploys.jsonl'),
      /** How long after a recorded deploy a regression is blamed on it. */
      windowMs: z.number().int().min(1_000).default(300_000),
      /** Error ratio (5xx / all) above which the release is bad. */
      errorRatio: z.number().min(0).max(1).default(0.05),
      /** Ignore the first moments after a deploy: warm-up blips are not regressions. */
      warmupMs: z.number().int().min(0).default(5_000),
      minRequests: z.number().int().min(1).default(10),
    })
    .optional(),
  /**
   * Dependencies the service calls. Each is judged by probing its `url` (when given) and by the service's own
   * error log lines that match `errorPatterns` (default: the name as a whole word, and the url's host[:port]).
   */
  upstreams: z
    .array(
      z.object({
        ...detectorBase,
        name: z.string().min(1),
        url: z.string().regex(/^https?:\/\/.+/, 'must be an http(s) URL').optional(),
        timeoutMs: z.number().int().min(50).default(1000),
        /** Regular expression sources, matched case-insensitively against each error log line. */
        errorPatterns: z.array(regexSource).min(1).optional(),
        /** At least two: a single error line is a blip, never an incident. */
        errorsToAlert: z.number().int().min(2).default(5),
        errorWindowMs: z.number().int().min(1_000).default(30_000),
      }),
    )
    .optional(),
  dns: z
    .object({
      ...detectorBase,
      names: z.array(z.string().min(1)).min(1),
      /** Resolvers to ask (host or host:port); default the system's. */
      servers: z.array(z.string()).optional(),
      timeoutMs: z.number().int().min(50).default(1000),
    })
    .optional(),
  loadBalancer: z
    .object({
      ...detectorBase,
      /** HAProxy runtime API (stats socket with `level admin`). */
      haproxySocket: z.string().min(1),
      backend: z.string().min(1),
      /** Largest share of current sessions one server may hold above its weight share. */
      maxSkew: z.number().min(0).max(1).default(0.3),
      minSessions: z.number().int().min(0).default(10),
    })
    .optional(),
});

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
  detectors: detectorsSchema.prefault({}),
  /** Settings of the approved actions for this service (`config/actions/`); an absent section: not available. */
  actions: actionsSchema.prefault({}),
  /** How the incident report estimates user impact from the service's request counters (config/impact.ts). */
  impact: impactSchema.prefault({}),
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
  /**
   * Signature catalog files added to the shipped one (policy/catalog/signatures.json), relative to the
   * project root; a signature with a shipped id replaces it. Validated at start-up (docs/catalog.md).
   */
  catalogFiles: z.array(z.string().min(1)).default([]),
  /**
   * Drill certification (docs/drills.md): when enforced, a class with no passing `npm run drill` recorded in
   * the ledger within maxAgeDays is only observed (planned, handed to a human), never acted on.
   */
  certification: z
    .object({ enforce: z.boolean().default(false), maxAgeDays: z.number().positive().max(365).default(7) })
    .prefault({}),
  /** Where signatures drafted from humans' resolutions are written for review (policy/catalog/propose.ts). */
  proposalsDir: z.string().min(1).default('.zt/proposed-signatures'),
  diagnosis: z
    .object({
      samples: z.number().int().min(1).max(20).default(3),
      sampleIntervalMs: z.number().int().min(50).default(300),
      // Diagnosis only confirms what the sentinel already saw; a health endpoint slower than this is sick.
      probeTimeoutMs: z.number().int().min(50).default(500),
      /**
       * The sentinel's own failing probes of an instance stand in for diagnosis' when they are at most this
       * old and the process is the same one (pid and restart count): a hung instance then costs one PM2 look
       * instead of `samples` probe timeouts. 0: always probe again.
       */
      trustWitnessedMs: z.number().int().min(0).max(60_000).default(3000),
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
      /** Grafana contact point HMAC secret; when set, X-Grafana-Alerting-Signature is required and verified. */
      grafanaHmacSecret: z.string().min(16, 'must be at least 16 characters').optional(),
      /** Identical alerts for one incident within this window are coalesced into one signal with a count. */
      coalesceMs: z.number().int().min(0).max(60_000).default(1000),
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
  sentinel: sentinelSchema.prefault({}),
  policy: policySchema.prefault({}),
  /** Bounds on all automation: budgets, leases, blast radius, breaker, maintenance (docs/governor.md). */
  governor: governorSchema.prefault({}),
  /**
   * Who may steer incidents and the governor (pause, takeOver, approve, mode…). Signals from anyone else
   * are recorded and ignored. Empty: anyone who can reach Temporal may.
   */
  operators: z.array(z.string().trim().min(1).max(100)).default([]),
  notifiers: notifiersSchema.prefault({}),
  /** A worker run alone serves GET /metrics here (ZT_METRICS_PORT / ZT_METRICS_HOST win; docs/metrics.md). */
  metrics: metricsSchema.prefault({}),
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
export type DetectorsConfig = z.infer<typeof detectorsSchema>;
export type DampingConfig = z.infer<typeof dampingSchema>;
export type { GovernorConfig } from './governor';
