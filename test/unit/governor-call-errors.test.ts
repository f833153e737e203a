// A governor call the Temporal server turned away for load is retried; one the governor rejected is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { GovernorBusyError, governorCallError } from '../../activities/governor';
import { InvalidRequestError } from '../../activities/errors';

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
