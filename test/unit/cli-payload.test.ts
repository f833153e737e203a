// Signal payloads are built from flags and checked against the workflow's own schemas before sending.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signalPayload } from '../../cli/payload';
import { CliError } from '../../cli/errors';

const env = { ZT_OPERATOR: 'ops-bot', USER: 'login' };

function refused(run: () => unknown, field: RegExp): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof CliError, `expected CliError, got ${String(err)}`);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, field);
    return true;
  });
}

test('--operator wins, then ZT_OPERATOR, then USER', () => {
  assert.deepEqual(signalPayload('pause', { operator: 'alice' }, env), { operator: 'alice' });
  assert.deepEqual(signalPayload('pause', {}, env), { operator: 'ops-bot' });
  assert.deepEqual(signalPayload('pause', {}, { USER: 'login' }), { operator: 'login' });
});

test('the reason travels with the operator, and the operator is trimmed', () => {
  assert.deepEqual(signalPayload('takeOver', { operator: ' alice ', reason: 'investigating' }, env), {
    operator: 'alice',
    reason: 'investigating',
  });
});

test('resolve carries root cause and fix; other signals never do', () => {
  const opts = { operator: 'alice', rootCause: 'pool exhausted', fix: 'raised the pool size' };
  assert.deepEqual(signalPayload('resolve', opts, env), opts);
  assert.deepEqual(signalPayload('release', opts, env), { operator: 'alice' });
});

test('an explicit empty operator is refused, not replaced by the default', () => {
  refused(() => signalPayload('pause', { operator: '' }, env), /invalid pause payload: operator: operator is required/);
  refused(() => signalPayload('pause', { operator: '   ' }, env), /operator/);
});

test('no operator anywhere is refused with a hint on how to give one', () => {
  refused(() => signalPayload('approve', {}, {}), /operator: .*\(pass --operator NAME or set ZT_OPERATOR\)/);
});

test('over-long fields are refused by name', () => {
  refused(() => signalPayload('reject', { operator: 'x'.repeat(101) }, env), /^invalid reject payload: operator: /);
  refused(() => signalPayload('resolve', { operator: 'alice', rootCause: 'x'.repeat(2001) }, env), /rootCause: /);
  refused(() => signalPayload('revert', { operator: 'alice', reason: 'x'.repeat(2001) }, env), /reason: /);
});
