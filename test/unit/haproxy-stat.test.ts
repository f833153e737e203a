// `show stat` parsing by header, the status vocabulary, and the runtime client's contract (one command
// per connection, reply read until close, silence is success, a deadline, names never smuggle commands)
// against a real unix socket that plays HAProxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HaproxyCommandError, HaproxyError, HaproxyRuntime, HaproxyTimeoutError } from '../../probes/haproxy';
import { backendServers, isDownStatus, isServingStatus, parseShowStat, StatParseError } from '../../probes/haproxy-stat';

// The head of a real HAProxy 2.6 `show stat` (columns trimmed after uweight; the parser goes by header).
const HEADER =
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,addr,uweight,';
const CSV = [
  HEADER,
  'fe,FRONTEND,,,2,2,512,2,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,1,,,,',
  'app,app0,0,0,3,4,,9,0,0,,0,,0,0,0,0,UP,100,1,0,0,0,5,0,,1,3,1,,9,,2,0,,1,L7OK,127.0.0.1:3100,100,',
  'app,app1,0,0,0,1,,4,0,0,,0,,0,0,0,0,DOWN,50,1,0,2,1,5,5,,1,3,2,,1,,2,0,,1,L4CON,127.0.0.1:3101,50,',
  'app,spare,0,0,0,0,,0,0,0,,0,,0,0,0,0,no check,1,0,1,,,,,,1,3,3,,0,,2,0,,0,,127.0.0.1:3199,1,',
  'app,BACKEND,0,0,3,4,,13,0,0,0,0,,0,0,0,0,UP,100,1,0,,0,5,0,,1,3,0,,10,,1,0,,1,,,100,',
  '',
].join('\n');

test('show stat rows are typed by the header, empties read as null', () => {
  const rows = parseShowStat(CSV);
  assert.deepEqual(
    rows.map((r) => [r.pxname, r.svname, r.type, r.status]),
    [
      ['fe', 'FRONTEND', 'frontend', 'OPEN'],
      ['app', 'app0', 'server', 'UP'],
      ['app', 'app1', 'server', 'DOWN'],
      ['app', 'spare', 'server', 'no check'],
      ['app', 'BACKEND', 'backend', 'UP'],
    ],
  );
  const app0 = rows[1]!;
  assert.equal(app0.scur, 3);
  assert.equal(app0.stot, 9);
  assert.equal(app0.weight, 100);
  assert.equal(app0.uweight, 100);
  assert.equal(app0.lbtot, 9);
  assert.equal(app0.act, 1);
  assert.equal(app0.bck, 0);
  assert.equal(app0.checkStatus, 'L7OK');
  assert.equal(app0.raw.addr, '127.0.0.1:3100');
  assert.equal(rows[0]!.weight, null);
  assert.equal(rows[0]!.checkStatus, null);
  assert.equal(rows[3]!.bck, 1);
});

test('columns are found by name, whatever their order', () => {
  const rows = parseShowStat('# svname,type,pxname,stot,weight,status,scur\nweb1,2,be,7,10,UP,1\n');
  assert.deepEqual(
    rows.map((r) => [r.pxname, r.svname, r.type, r.stot, r.weight, r.status, r.scur, r.uweight]),
    [['be', 'web1', 'server', 7, 10, 'UP', 1, null]],
  );
});

for (const [name, csv, message] of [
  ['no header', 'app,app0,0\n', /no "# pxname,svname/],
  ['an error text instead of CSV', 'Permission denied\n', /no "# pxname,svname/],
  ['a header that is not show stat', '# a,b,c\n1,2,3\n', /unexpected show stat header/],
  ['an unknown row type', '# pxname,svname,status,type\napp,x,UP,9\n', /unknown type "9"/],
] as const) {
  test(`refuses ${name}`, () => {
    assert.throws(() => parseShowStat(csv), (err: Error) => err instanceof StatParseError && message.test(err.message));
  });
}

test('header only: no rows', () => {
  assert.deepEqual(parseShowStat(`${HEADER}\n\n`), []);
});

test('backendServers keeps only that backend’s server rows', () => {
  assert.deepEqual(backendServers(parseShowStat(CSV), 'app').map((r) => r.svname), ['app0', 'app1', 'spare']);
  assert.deepEqual(backendServers(parseShowStat(CSV), 'fe'), []);
});

for (const [status, serving, down] of [
  ['UP', true, false],
  ['UP 1/3', true, false],
  ['no check', true, false],
  ['DOWN', false, true],
  ['DOWN 1/2', false, true],
  ['NOLB', false, false],
  ['DRAIN', false, false],
  ['MAINT', false, false],
  ['MAINT (via app/app0)', false, false],
] as const) {
  test(`status "${status}": serving=${serving}, down=${down}`, () => {
    assert.equal(isServingStatus(status), serving);
    assert.equal(isDownStatus(status), down);
  });
}

/** A unix socket that answers like HAProxy: one reply per connection, then close (or never, to hang). */
async function fakeHaproxy(answer: (cmd: string) => string | null) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-fake-haproxy-'));
  const socketPath = path.join(dir, 'admin.sock');
  const commands: string[] = [];
  const server = net.createServer((sock) => {
    let buf = '';
    sock.on('data', (c) => {
      buf += c.toString();
      if (!buf.endsWith('\n')) return;
      const cmd = buf.trimEnd();
      commands.push(cmd);
      const reply = answer(cmd);
      if (reply !== null) sock.end(reply);
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return {
    socketPath,
    commands,
    async close() {
      server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

test('runtime client: show stat, set weight and set server state send exactly one command each', async (t) => {
  const fake = await fakeHaproxy((cmd) => (cmd === 'show stat' ? CSV : ''));
  t.after(() => fake.close());
  const rt = new HaproxyRuntime(fake.socketPath, 1000);
  assert.equal((await rt.showStat()).length, 5);
  await rt.setWeight('app', 'app0', 1);
  await rt.setServerState('app', 'app1', 'drain');
  assert.deepEqual(fake.commands, ['show stat', 'set weight app/app0 1', 'set server app/app1 state drain']);
});

test('runtime client: any text after a set command is HAProxy refusing it', async (t) => {
  const fake = await fakeHaproxy(() => 'No such server.\n\n');
  t.after(() => fake.close());
  await assert.rejects(new HaproxyRuntime(fake.socketPath).setWeight('app', 'nope', 5), (err: Error) => err instanceof HaproxyCommandError && /No such server/.test(err.message));
});

test('runtime client: a HAProxy that never answers fails at the deadline', async (t) => {
  const fake = await fakeHaproxy(() => null);
  t.after(() => fake.close());
  const started = Date.now();
  await assert.rejects(new HaproxyRuntime(fake.socketPath, 200).showStat(), HaproxyTimeoutError);
  assert.ok(Date.now() - started < 1000);
});

test('runtime client: a missing socket is a HaproxyError naming it', async () => {
  await assert.rejects(new HaproxyRuntime('/nonexistent/admin.sock', 200).showStat(), (err: Error) => err instanceof HaproxyError && /\/nonexistent\/admin.sock: ENOENT/.test(err.message));
});

for (const [what, call] of [
  ['a ";" in a server name', (rt: HaproxyRuntime) => rt.setWeight('app', 'app0;disable frontend fe', 1)],
  ['a newline in a backend name', (rt: HaproxyRuntime) => rt.setServerState('app\nshutdown', 'app0', 'ready')],
  ['a space in a server name', (rt: HaproxyRuntime) => rt.setServerState('app', 'app0 state maint', 'ready')],
  ['a weight above 256', (rt: HaproxyRuntime) => rt.setWeight('app', 'app0', 257)],
  ['a fractional weight', (rt: HaproxyRuntime) => rt.setWeight('app', 'app0', 1.5)],
  ['an unknown state', (rt: HaproxyRuntime) => rt.setServerState('app', 'app0', 'up' as 'ready')],
  ['two commands at once', (rt: HaproxyRuntime) => rt.command('show stat; show info')],
] as const) {
  test(`runtime client refuses ${what} before touching the socket`, async (t) => {
    const fake = await fakeHaproxy(() => '');
    t.after(() => fake.close());
    await assert.rejects(async () => call(new HaproxyRuntime(fake.socketPath, 500)), HaproxyError);
    assert.deepEqual(fake.commands, []);
  });
}
