// Per-service settings of the approved actions (`services[].actions`). Each action's section lives in its
// own file; an action whose section is absent is not available for that service, and a playbook step
// naming it escalates instead of guessing.
import { z } from 'zod';
import { cacheActionSchema } from './cache';
import { deployActionSchema } from './deploy';
import { diskActionSchema } from './disk';
import { scaleActionSchema } from './scale';
import { trafficActionSchema } from './traffic';

export const actionsSchema = z.object({
  deploy: deployActionSchema.optional(),
  scale: scaleActionSchema.optional(),
  traffic: trafficActionSchema.optional(),
  cache: cacheActionSchema.optional(),
  disk: diskActionSchema.optional(),
});

export type ActionsConfig = z.infer<typeof actionsSchema>;
