// The Temporal server settings zero-touch runs with: the dev server gets them as flags, the compose file's
// server from monitoring/compose/temporal-dynamic-config.yaml (a unit test keeps the two equal), and
// docs/deploy.md asks the same of a production server.
export const SERVER_DYNAMIC_CONFIG = {
  // Every permit is a Workflow Update to the one governor. At the default (10 in flight per workflow) a storm's
  // requests are turned away and retried with backoff; admitted together, the governor answers them in batches.
  'history.maxInFlightUpdates': 200,
  // An activity scheduled by a workflow task starts on the worker that completed the task, without a round
  // trip through the task queue: the permit request and the first action start sooner.
  'system.enableActivityEagerExecution': true,
} as const;

/** `--dynamic-config-value key=<JSON value>` for `temporal server start-dev`. */
export function dynamicConfigCliFlags(): string[] {
  return Object.entries(SERVER_DYNAMIC_CONFIG).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]);
}
