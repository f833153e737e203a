// Reads the PM2 process list for `zt services` without side effects: PM2's connect would launch a
// daemon when none runs, and a status command must not start one, so the daemon's RPC socket is
// probed first.
import net from 'node:net';
import path from 'node:path';
import { Pm2Client, type Pm2Process } from '../pm2/client';

const PROBE_TIMEOUT_MS = 1_000;
const PM2_CALL_TIMEOUT_MS = 5_000;

/** The processes of the daemon in `home`, or null when no daemon is running there. */
export async function readPm2Processes(home: string): Promise<Pm2Process[] | null> {
  if (!(await daemonListening(home))) return null;
  const pm2 = await Pm2Client.connect({ home, timeoutMs: PM2_CALL_TIMEOUT_MS });
  try {
    return await pm2.list();
  } finally {
    await pm2.disconnect();
  }
}

function daemonListening(home: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(path.join(home, 'rpc.sock'));
    const done = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
