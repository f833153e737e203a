// `zt services`: a configured service's PM2 processes summarised in the contract shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceState, servicesTable } from '../../cli/service-states';
import { serviceSchema } from '../../config/schema';
import type { Pm2Process } from '../../pm2/client';

const api = serviceSchema.parse({ name: 'api', healthUrl: 'http://127.0.0.1:{port}/healthz', basePort: 3100, instances: 2 });

function proc(pmId: number, instance: number, status: string, pid: number, name = 'api'): Pm2Process {
  return {
    pmId, name, instance, pid, status,
    execMode: 'fork', restarts: pmId, unstableRestarts: 0, exitCode: null, startedAt: 0, memoryBytes: 0, cpuPercent: 0,
  };
}

test('every expected instance online → online, with pids and per-instance health URLs', () => {
  const state = serviceState(api, [proc(1, 1, 'online', 202), proc(0, 0, 'online', 201), proc(5, 0, 'online', 999, 'other')]);
  assert.deepEqual(state, {
    name: 'api',
    status: 'online',
    pids: [201, 202],
    healthUrl: 'http://127.0.0.1:3100/healthz',
    instances: [
      { pmId: 0, instance: 0, pid: 201, status: 'online', restarts: 0, healthUrl: 'http://127.0.0.1:3100/healthz' },
      { pmId: 1, instance: 1, pid: 202, status: 'online', restarts: 1, healthUrl: 'http://127.0.0.1:3101/healthz' },
    ],
  });
  assert.deepEqual(Object.keys(state), ['name', 'status', 'pids', 'healthUrl', 'instances']);
});

test('some online → degraded; a stopped instance has no pid', () => {
  const state = serviceState(api, [proc(0, 0, 'online', 201), proc(1, 1, 'stopped', 0)]);
  assert.equal(state.status, 'degraded');
  assert.deepEqual(state.pids, [201]);
});

test('fewer processes than expected, all online → degraded', () => {
  assert.equal(serviceState(api, [proc(0, 0, 'online', 201)]).status, 'degraded');
});

test('present but none online → down', () => {
  assert.equal(serviceState(api, [proc(0, 0, 'errored', 0), proc(1, 1, 'launching', 0)]).status, 'down');
});

test('not in PM2 → absent, still with its health URL', () => {
  assert.deepEqual(serviceState(api, [proc(0, 0, 'online', 1, 'other')]), {
    name: 'api', status: 'absent', pids: [], healthUrl: 'http://127.0.0.1:3100/healthz', instances: [],
  });
});

test('the table shows online/expected and total restarts', () => {
  const state = serviceState(api, [proc(0, 0, 'online', 201), proc(3, 1, 'stopped', 0)]);
  assert.equal(
    servicesTable([{ state, expected: 2 }]),
    ['SERVICE  STATUS    ONLINE  RESTARTS  PIDS  HEALTH', 'api      degraded  1/2     3         201   http://127.0.0.1:3100/healthz'].join('\n'),
  );
});
