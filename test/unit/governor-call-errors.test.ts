// A governor call the Temporal server turned away for load is retried; one the governor rejected is not;
// a lease is not asked while the governor is backed up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { pino } from 'pino';
import { GovernorBusyError, governorCallError, LEASE_ONLY_BELOW_CALLS_IN_FLIGHT, requestActionLease } from '../../activities/governor';
import { InvalidRequestError } from '../../activities/errors';
import type { ActivityDeps } from '../../activities/deps';
import { parseConfig } from '../../config/load';
import type { LeaseAnswer, PermitVerdict } from '../../signals/governor';

test('the in-flight update limit and aborted updates are load: retryable', () => {
  const limit = new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'limit on number of concurrent in-flight updates has been reached (10)' }));
  assert.ok(governorCallError('requestPermit', limit) instanceof GovernorBusyError);
  assert.ok(governorCallError('releasePermit', new Error('workflow update was aborted')) instanceof GovernorBusyError);
  assert.ok(governorCallError('requestPermit', Object.assign(new Error('13 RESOURCE_EXHAUSTED: too many'), {})) instanceof GovernorBusyError);
});

test('an update the governor itself rejected is terminal; anything else passes through', () => {
  const rejected = new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'invalid permit request: service: required' }));
  const mapped = governorCallError('requestPermit', rejected);
  assert.ok(mapped instanceof InvalidRequestError);
  assert.match((mapped as Error).message, /requestPermit refused by the governor: invalid permit request/);
  const other = new Error('connection refused');
  assert.equal(governorCallError('requestPermit', other), other);
});

test('a lease is not asked from inside a workflow task while this worker already waits on the governor', async () => {
  // A client whose governor never answers until told to: the calls stay in flight.
  const answers: Array<() => void> = [];
  const verdict: PermitVerdict = { verdict: 'granted', permitId: 'p-1', reason: 'granted', leaseExpiresAt: new Date(0).toISOString(), maxInstanceShare: 0.5 };
  const executeUpdate = () => new Promise<PermitVerdict>((resolve) => answers.push(() => resolve(verdict)));
  const client = { workflow: { getHandle: () => ({ executeUpdate }) }, withAbortSignal: (_: AbortSignal, fn: () => unknown) => fn() } as unknown as Client;
  const env = new MockActivityEnvironment({}, { client });
  const deps = { config: parseConfig({}), logger: pino({ level: 'silent' }) } as unknown as ActivityDeps;
  const lease = { incidentWorkflowId: 'incident-api', incidentId: 'INC-1', service: 'localize-api', instances: 2 };
  const ask = (): Promise<LeaseAnswer> => env.run(requestActionLease, deps, lease);
  const waiting = Array.from({ length: LEASE_ONLY_BELOW_CALLS_IN_FLIGHT }, () => ask());
  await new Promise((r) => setImmediate(r));
  assert.equal(answers.length, LEASE_ONLY_BELOW_CALLS_IN_FLIGHT, 'each of the first ones asked');
  const refused = await ask();
  assert.equal(refused.verdict, 'not-asked');
  assert.match(refused.reason, new RegExp(`this worker has ${LEASE_ONLY_BELOW_CALLS_IN_FLIGHT} calls to the governor waiting`));
  for (const answer of answers) answer();
  assert.deepEqual(await Promise.all(waiting), Array(LEASE_ONLY_BELOW_CALLS_IN_FLIGHT).fill(verdict));
  // Answered: the next one is asked again.
  const next = ask();
  await new Promise((r) => setImmediate(r));
  answers.at(-1)!();
  assert.equal((await next).verdict, 'granted');
});
