// `show servers state` parsing (by header, admin-state bits) and the traffic action config (instance →
// server names, defaults, refusals) — pure, no HAProxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminStateOf, parseServersState, ServersStateParseError } from '../../probes/haproxy-servers-state';
import { serverNameOf, trafficActionSchema } from '../../config/actions/traffic';

// A real HAProxy 2.6 answer: a drained server (admin 8), one with a runtime weight (7, initial 50), a backup.
const STATE = [
  '1',
  '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port',
  '3 app 1 a 127.0.0.1 2 8 100 100 0 1 0 2 0 0 0 0 - 39200 - 0 0 - - 0',
  '3 app 2 b 127.0.0.1 2 0 7 50 1 1 0 2 0 0 0 0 - 39201 - 0 0 - - 0',
  '3 app 3 fb 127.0.0.1 0 1 10 10 1 1 0 2 0 0 0 0 - 39202 - 0 0 - - 0',
  '',
  '',
].join('\n');

test('show servers state rows: admin state, runtime and initial weight', () => {
  assert.deepEqual(
    parseServersState(STATE).map((r) => [r.backend, r.server, r.opState, r.adminState, r.uweight, r.iweight]),
    [
      ['app', 'a', 2, 'drain', 100, 100],
      ['app', 'b', 2, 'ready', 7, 50],
      ['app', 'fb', 0, 'maint', 10, 10],
    ],
  );
});

test('admin state bits: any maintenance wins over drain', () => {
  assert.equal(adminStateOf(0), 'ready');
  assert.equal(adminStateOf(0x08), 'drain');
  assert.equal(adminStateOf(0x10), 'drain');
  assert.equal(adminStateOf(0x01 | 0x08), 'maint');
  assert.equal(adminStateOf(0x04), 'maint');
  assert.equal(adminStateOf(0x20), 'maint');
});

test('an answer without the header or with a non-numeric field is an error, not an empty backend', () => {
  assert.throws(() => parseServersState("Can't find backend.\n"), ServersStateParseError);
  assert.throws(() => parseServersState(STATE.replace('2 8 100 100', '2 x 100 100')), /srv_admin_state of app\/a is not a number/);
});

test('traffic config: defaults, server names by template or explicit map, refusals', () => {
  const cfg = trafficActionSchema.parse({ haproxySocket: '/run/haproxy.sock', backend: 'api' });
  assert.equal(cfg.maxDrainShare, 0.5);
  assert.deepEqual(cfg.rebalance, { to: 'initial', minWeight: 1, maxWeight: 256 });
  assert.equal(cfg.undrainAfterMs, 60_000);
  assert.equal(cfg.restoreAfterMs, 120_000);
  assert.equal(serverNameOf(cfg, 'localize-api', 1), 'localize-api-1');

  const mapped = trafficActionSchema.parse({ haproxySocket: 's', backend: 'api', serverName: 'web{instance}', servers: { '0': 'primary' } });
  assert.equal(serverNameOf(mapped, 'x', 0), 'primary');
  assert.equal(serverNameOf(mapped, 'x', 2), 'web2');

  assert.throws(() => trafficActionSchema.parse({ haproxySocket: 's', backend: 'api', serverName: 'web' }), /must contain \{instance\}/);
  assert.throws(() => trafficActionSchema.parse({ haproxySocket: 's', backend: 'api;shutdown' }), /HAProxy names/);
  assert.throws(() => trafficActionSchema.parse({ haproxySocket: 's', backend: 'api', maxDrainShare: 0 }));
  assert.throws(() => trafficActionSchema.parse({ haproxySocket: 's', backend: 'api', rebalance: { minWeight: 10, maxWeight: 5 } }), /minWeight must not exceed maxWeight/);
  assert.throws(() => trafficActionSchema.parse({ haproxySocket: 's', backend: 'api', servers: { '0': 'a' }, fallback: { server: 'a' } }), /fallback server cannot also be an instance/);
});
