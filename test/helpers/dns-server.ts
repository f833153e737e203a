// A tiny authoritative DNS server on a loopback UDP port for tests: answers A records for the names it
// is given, NXDOMAIN for the rest, and can be told to misbehave the ways real resolvers do — answer
// SERVFAIL, stay silent, answer slowly, or be stopped (so the port refuses) and started again.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

// dns-packet encodes the response code only as the low four bits of `flags` (RFC 1035 §4.1.1).
const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;

export type DnsServerMode = 'answer' | 'servfail' | 'silent';

export interface TestDnsServer {
  readonly port: number;
  /** "127.0.0.1:<port>", as `dns.servers` takes it. */
  readonly address: string;
  mode: DnsServerMode;
  /** Delay before each of the next `count` answers (then back to prompt answers). */
  delayNext(ms: number, count?: number): void;
  /** Questions received so far. */
  readonly queries: number;
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

export async function startDnsServer(records: Record<string, string[]>, port = 0): Promise<TestDnsServer> {
  const table = new Map(Object.entries(records).map(([name, ips]) => [name.toLowerCase(), ips]));
  let socket: dgram.Socket | null = null;
  let delays: number[] = [];
  let queries = 0;

  const reply = (query: dnsPacket.Packet, mode: DnsServerMode): Buffer => {
    const question = query.questions?.[0];
    const ips = question ? table.get(question.name.toLowerCase()) : undefined;
    const rcode = mode === 'servfail' ? RCODE.SERVFAIL : ips ? RCODE.NOERROR : RCODE.NXDOMAIN;
    const answers: dnsPacket.Answer[] =
      rcode === RCODE.NOERROR && question?.type === 'A' ? ips!.map((ip) => ({ type: 'A', name: question.name, ttl: 1, data: ip })) : [];
    return dnsPacket.encode({
      id: query.id,
      type: 'response',
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode,
      questions: query.questions ?? [],
      answers,
    });
  };

  const listen = (p: number) =>
    new Promise<dgram.Socket>((resolve, reject) => {
      const s = dgram.createSocket('udp4');
      s.once('error', reject);
      s.on('message', (msg, rinfo) => {
        queries++;
        const mode = server.mode;
        if (mode === 'silent') return;
        let query: dnsPacket.Packet;
        try {
          query = dnsPacket.decode(msg);
        } catch {
          return;
        }
        // A delayed answer may outlive a stop(); sending on a closed socket throws, and that is fine.
        const send = () => {
          try {
            s.send(reply(query, mode), rinfo.port, rinfo.address, () => undefined);
          } catch {}
        };
        const delay = delays.shift() ?? 0;
        if (delay > 0) setTimeout(send, delay);
        else send();
      });
      s.bind(p, '127.0.0.1', () => {
        s.off('error', reject);
        resolve(s);
      });
    });

  socket = await listen(port);
  const bound = socket.address().port;

  const server: TestDnsServer = {
    port: bound,
    address: `127.0.0.1:${bound}`,
    mode: 'answer',
    get queries() {
      return queries;
    },
    delayNext(ms, count = 1) {
      delays = Array.from({ length: count }, () => ms);
    },
    async stop() {
      const s = socket;
      socket = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async start() {
      if (!socket) socket = await listen(bound);
    },
  };
  return server;
}
