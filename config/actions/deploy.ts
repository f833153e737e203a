// Rollback of the last deploy: the service runs from `<appDir>/current`, a link to `releases/<version>`.
import { z } from 'zod';

export const deployActionSchema = z.object({
  /** Holds `releases/<version>/` and the `current` link that PM2's script path goes through. */
  appDir: z.string().min(1),
});
