// Scoped cache flush in Redis: only keys under the service's own prefix.
import { z } from 'zod';

export const cacheActionSchema = z.object({
  /** Keys under this prefix belong to the service; empty or `*` would be everything and is refused. */
  prefix: z.string().min(1),
});
