// A payload problem is reported as a list of issues, each naming the field of the payload the sender
// wrote (`alerts.0.labels.alertname`), so whoever wired the webhook can fix it without reading our code.
import type { z } from 'zod';

export interface PayloadIssue {
  /** Dotted path into the request body; `(root)` for the body itself. */
  path: string;
  message: string;
}

export class PayloadValidationError extends Error {
  override name = 'PayloadValidationError';

  constructor(
    what: string,
    readonly issues: PayloadIssue[],
  ) {
    super(`invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

export function joinPath(segments: ReadonlyArray<PropertyKey>): string {
  return segments.length ? segments.map(String).join('.') : '(root)';
}

/** Zod issues as payload issues, with `prefix` placed before each path (e.g. `alerts.2`). */
export function issuesFromZod(error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): PayloadIssue[] {
  return error.issues.map((issue) => ({ path: joinPath([...prefix, ...issue.path]), message: issue.message }));
}
