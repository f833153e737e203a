// Drain, reroute and rebalance through the HAProxy runtime API.
//
//   services:
//     - name: localize-api
//       actions:
//         traffic:
//           haproxySocket: /run/haproxy/admin.sock   # `stats socket … level admin`
//           backend: api
//           serverName: "{service}-{instance}"        # or `servers: { "0": api-a, "1": api-b }`
//           maxDrainShare: 0.5
//           fallback: { server: api-standby }         # a `backup` (or parked) server in the same backend
//           rebalance: { to: initial }
//
// Each PM2 instance (NODE_APP_INSTANCE) is one server of `backend`. Drain and reroute never take more than
// `maxDrainShare` of the backend's servers out of service at once (nor more than the governor's
// maxOutOfService): a drain beyond it is refused and the incident escalates.
import { z } from 'zod';

// HAProxy's identifier alphabet (probes/haproxy.ts checks it again before any command is sent).
const haproxyName = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'HAProxy names are letters, digits, "_", ".", ":" and "-"');

export const trafficActionSchema = z
  .object({
    /** HAProxy stats socket with `level admin`. */
    haproxySocket: z.string().min(1),
    /** The backend whose servers are this service's instances. */
    backend: haproxyName,
    /** Server name of an instance: `{service}` and `{instance}` (NODE_APP_INSTANCE) are replaced. */
    serverName: z
      .string()
      .min(1)
      .default('{service}-{instance}')
      .refine((t) => t.includes('{instance}'), 'must contain {instance}: each instance is its own server'),
    /** Explicit instance → server names; wins over `serverName` for the instances it lists. */
    servers: z.record(z.string().regex(/^\d+$/, 'keys are instance numbers (NODE_APP_INSTANCE)'), haproxyName).optional(),
    /**
     * Largest share of the backend's active servers out of service at once (drained, in maintenance or
     * down), rounded down: 0.5 of 3 servers is 1, of 1 server is 0 (never drain the only server). The
     * request's maxOutOfService applies too; the stricter wins.
     */
    maxDrainShare: z.number().gt(0).max(1).default(0.5),
    /**
     * Where rerouted traffic goes: a server of the same backend, normally declared `backup` (HAProxy sends
     * it traffic once no active server is usable) or an active server parked at weight 0 / in drain.
     * Without it, reroute moves traffic only to the backend's other healthy servers.
     */
    fallback: z
      .object({
        server: haproxyName,
        /** Weight given to a fallback parked at weight 0; default its initial (configured) weight. */
        weight: z.number().int().min(1).max(256).optional(),
      })
      .optional(),
    rebalance: z
      .object({
        /**
         * "initial": reset each serving server to the weight HAProxy's configuration gave it (`srv_iweight`),
         * undoing runtime skew; "equal": give every serving server the same weight (the mean of their
         * initial weights), for a backend whose configured weights are themselves the skew.
         */
        to: z.enum(['initial', 'equal']).default('initial'),
        /** No weight is set outside [minWeight, maxWeight]; rebalance never parks a serving server. */
        minWeight: z.number().int().min(1).max(256).default(1),
        maxWeight: z.number().int().min(1).max(256).default(256),
      })
      .refine((r) => r.minWeight <= r.maxWeight, 'minWeight must not exceed maxWeight')
      .prefault({}),
    /** How long a drained instance must stay healthy before it is undrained (the recorded undo). */
    undrainAfterMs: z.number().int().min(0).default(60_000),
    /** How long the primary must stay healthy before rerouted weights are restored. */
    restoreAfterMs: z.number().int().min(0).default(120_000),
    /** Deadline of one runtime API command. */
    timeoutMs: z.number().int().min(100).max(30_000).default(2_000),
    /** Where each action records what it changed, by idempotency key (a re-run returns the first outcome). */
    stateDir: z.string().min(1).default('.zt/actions/traffic'),
  })
  .refine((t) => !t.fallback || !Object.values(t.servers ?? {}).includes(t.fallback.server), {
    message: 'the fallback server cannot also be an instance of the service',
    path: ['fallback', 'server'],
  });

export type TrafficActionConfig = z.infer<typeof trafficActionSchema>;

/** The HAProxy server name of one instance of the service. */
export function serverNameOf(cfg: TrafficActionConfig, service: string, instance: number): string {
  return cfg.servers?.[String(instance)] ?? cfg.serverName.replaceAll('{service}', service).replaceAll('{instance}', String(instance));
}
