// Rollback of the last deploy: the service runs from `<appDir>/current`, a link to `releases/<version>`
// (deploys/releases.ts); `zt deploy` installs releases and records them in the deploy registry, and the
// rollback action switches back to the release that ran before the last deploy (docs/actions.md).
import { z } from 'zod';

export const deployActionSchema = z.object({
  /** Holds `releases/<version>/` and the `current` link that PM2's script path goes through. */
  appDir: z.string().min(1),
  /**
   * The deploy registry (JSON lines) `zt deploy` appends to and the rollback reads. Unset: the deploy
   * detector's `registryPath` when it has one, else `.zt/deploys.jsonl` (relative paths: the project root).
   */
  registryPath: z.string().min(1).optional(),
  /**
   * The rollback only undoes a deploy this recent (ms): an old release that fails now is failing for some
   * other reason, and going back past days of changes is a human's call. Default one hour.
   */
  maxDeployAgeMs: z.number().int().min(1_000).default(3_600_000),
  /** After restarting a batch of fork-mode instances, how long each may take to answer its health URL before the rollout stops. */
  readyTimeoutMs: z.number().int().min(500).default(15_000),
});

export type DeployActionConfig = z.infer<typeof deployActionSchema>;
