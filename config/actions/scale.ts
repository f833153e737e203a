// Bounded scale-up through PM2, scaled back down after a cooldown once stable.
//
//   services:
//     - name: localize-api
//       actions:
//         scale: { maxInstances: 4, step: 1, cooldownMs: 300000 }
//
// Added instances get the next NODE_APP_INSTANCE values and so listen on basePort + n like the others; keep
// basePort .. basePort + maxInstances - 1 free for them.
import { z } from 'zod';

export const scaleActionSchema = z.object({
  /** Never more instances than this: a scale-up at the bound is refused and the incident escalates. */
  maxInstances: z.number().int().min(1).max(64),
  /** How long the service must stay healthy before the extra instances are removed again. */
  cooldownMs: z.number().int().min(0).default(300_000),
  /** How many instances one scale-up adds (fewer when the bound is closer). */
  step: z.number().int().min(1).max(16).default(1),
  /** How long the added instances have to be online and answer their health check before the scale-up is undone and fails. */
  readyTimeoutMs: z.number().int().min(1_000).max(300_000).default(30_000),
});

export type ScaleActionConfig = z.infer<typeof scaleActionSchema>;
