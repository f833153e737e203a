// A detector's damping: what the user configured for it, else the default that fits how the detector
// already judges (detectors that measure over their own window need no second window on top).
import type { DampingConfig } from '../../config/schema';

export function dampingOr(configured: DampingConfig | undefined, fallback: DampingConfig): DampingConfig {
  return configured ?? fallback;
}

/** For detectors whose verdict already spans a sustained window: the first failing verdict alerts. */
export const WINDOWED_DAMPING: DampingConfig = { samples: 1, failures: 1, holdDownMs: 30_000 };
