/**
 * The only logging provisioning needs. A pino logger satisfies it (both methods accept a plain string),
 * and so does `console`, so entry points, the test runner and CI scripts can each pass what they have.
 */
export interface ProvisionLog {
  info(msg: string): void;
  warn(msg: string): void;
}
