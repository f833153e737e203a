// Disk pressure relief: the service's own PM2 logs and temporary files, never data. What is removed is
// first compressed into an archive, so the undo can put it back (see docs/actions.md for what exactly).
import { z } from 'zod';

export const diskActionSchema = z.object({
  /**
   * The service's own temporary directories (relative → under the project root). Files in them older than
   * `minAgeMs` may be archived away; symlinks are never followed or moved. `/`, the project root and a
   * directory holding the archive are refused when the action runs.
   */
  tempDirs: z.array(z.string().min(1)).default([]),
  /** Only temp files not modified for this long are moved (a file still being written is left alone). */
  minAgeMs: z.number().int().nonnegative().default(3_600_000),
  /** The most temp files one clean-up may move; more than that is refused (the incident escalates). */
  maxTempFiles: z.number().int().positive().default(10_000),
  /** Which of the service's PM2 logs (pm_out_log_path, pm_err_log_path) are archived and truncated. */
  pm2Logs: z.array(z.enum(['out', 'err'])).default(['out', 'err']),
  /** Where the compressed content goes (relative → under the project root); never deleted by zero-touch. */
  archiveDir: z.string().min(1).default('.zt/disk-archive'),
});

export type DiskActionConfig = z.infer<typeof diskActionSchema>;
