// Bounded scale-up through PM2, scaled back down after a cooldown once stable.
import { z } from 'zod';

export const scaleActionSchema = z.object({
  /** Never more instances than this. */
  maxInstances: z.number().int().min(1).max(64),
  /** How long the service must stay healthy before the extra instances are removed again. */
  cooldownMs: z.number().int().min(0).default(300_000),
});
