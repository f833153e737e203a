import net from 'node:net';

/** Whether nothing listens on `port` at `host` right now (a later bind can still lose a race). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS considers free now. */
export function pickFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A free port whose `+ offset` sibling is free too, because the dev server's UI conventionally sits at gRPC + 1000
 * and tests run several servers side by side.
 */
export async function pickFreePortPair(offset: number, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await pickFreePort(host);
    if (port + offset <= 65535 && (await isPortFree(port + offset, host))) return port;
  }
  throw new Error(`could not find a free port P with P+${offset} also free on ${host}`);
}
