// Disk pressure relief: the service's own PM2 logs and temporary files, never data.
import { z } from 'zod';

export const diskActionSchema = z.object({
  /** The service's own temporary directories; files in them may be archived away. */
  tempDirs: z.array(z.string().min(1)).default([]),
});
