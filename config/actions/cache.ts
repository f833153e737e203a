// Scoped cache flush in Redis: only keys under the service's own prefix, each snapshotted before it is
// deleted so the undo can put it back.
import { z } from 'zod';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Characters Redis' MATCH treats as a pattern: a prefix containing one would match other services' keys. */
const GLOB = /[*?[\]]/;

export const cacheActionSchema = z.object({
  /** Where the cache lives; unset → $REDIS_URL, else redis://127.0.0.1:6379 (resolved when the action runs). */
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, { message: 'actions.cache.redisUrl must be a redis:// or rediss:// URL' })
    .optional(),
  /** Keys under this prefix belong to the service; empty, `*` or any glob character would reach beyond it and is refused. */
  prefix: z
    .string({ message: 'actions.cache.prefix is required: the key prefix the service owns (e.g. "localize-api:")' })
    .refine((p) => p.trim().length > 0, { message: 'actions.cache.prefix must not be empty: that would flush every key in Redis' })
    .refine((p) => !GLOB.test(p), {
      message: 'actions.cache.prefix must not contain the glob characters * ? [ ]: it must name exactly the keys the service owns',
    }),
  /** The most keys one flush may delete; more than that is refused (the incident escalates to a human). */
  maxKeys: z.number().int().positive().default(10_000),
  /** Where snapshots are written before any delete (relative → under the project root). */
  snapshotDir: z.string().min(1).default('.zt/cache-snapshots'),
});

export type CacheActionConfig = z.infer<typeof cacheActionSchema>;

export function redisUrlOf(cfg: CacheActionConfig, env: NodeJS.ProcessEnv = process.env): string {
  return cfg.redisUrl ?? (env.REDIS_URL || DEFAULT_REDIS_URL);
}
