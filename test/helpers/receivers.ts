// Local stand-ins for Slack, PagerDuty and webhook receivers: a node:http server that records every
// request (raw body included, so signatures can be checked) and answers with scripted statuses, e.g.
// 500 then 202, or 'hang' to never answer. Also the sample incident and page the notifier tests send.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PageContext } from '../../notify/types';
import type { IncidentReport } from '../../signals/incident';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The exact bytes received, as UTF-8. */
  body: string;
  /** The status it was answered with, or 'hang'. */
  answeredWith: number | 'hang';
}

export type Answer = number | 'hang';

export interface ReceiverOptions {
  /** Answer when the script is used up (default 200). */
  status?: number;
  /** Response body for a status; default: Slack's "ok" for 200, PagerDuty's JSON for 202, else a short error. */
  body?: (status: number, req: ReceivedRequest) => string;
}

function defaultBody(status: number, req: ReceivedRequest): string {
  if (status === 200) return 'ok';
  if (status === 202) {
    let dedupKey: unknown;
    try {
      dedupKey = (JSON.parse(req.body) as { dedup_key?: unknown }).dedup_key;
    } catch {}
    return JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: dedupKey ?? null });
  }
  return JSON.stringify({ status: 'error', message: `scripted ${status}` });
}

export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly script: Answer[] = [];
  private readonly hanging = new Set<http.ServerResponse>();

  private constructor(
    private readonly server: http.Server,
    readonly baseUrl: string,
    private readonly opts: ReceiverOptions,
  ) {}

  static async start(opts: ReceiverOptions = {}): Promise<Receiver> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const receiver = new Receiver(server, `http://127.0.0.1:${port}`, opts);
    server.on('request', (req, res) => receiver.handle(req, res));
    return receiver;
  }

  /** The URL of `path` on this receiver. */
  url(path = '/'): string {
    return `${this.baseUrl}${path}`;
  }

  /** The next requests are answered with these, in order; then the default status. */
  answer(...answers: Answer[]): this {
    this.script.push(...answers);
    return this;
  }

  /** Request bodies parsed as JSON. */
  bodies<T = any>(): T[] {
    return this.requests.map((r) => JSON.parse(r.body) as T);
  }

  clear(): void {
    this.requests.length = 0;
    this.script.length = 0;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = this.script.shift() ?? this.opts.status ?? 200;
      const recorded: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        answeredWith: answer,
      };
      this.requests.push(recorded);
      if (answer === 'hang') {
        this.hanging.add(res);
        return;
      }
      const body = (this.opts.body ?? defaultBody)(answer, recorded);
      res.writeHead(answer, { 'content-type': body.startsWith('{') ? 'application/json' : 'text/plain' });
      res.end(body);
    });
  }
}

/** Starts one receiver per name; close them all with closeAll. */
export async function startReceivers<K extends string>(names: readonly K[], opts: Partial<Record<K, ReceiverOptions>> = {}): Promise<Record<K, Receiver>> {
  const entries = await Promise.all(names.map(async (n) => [n, await Receiver.start(opts[n] ?? {})] as const));
  return Object.fromEntries(entries) as Record<K, Receiver>;
}

export async function closeAll(receivers: Record<string, Receiver>): Promise<void> {
  await Promise.all(Object.values(receivers).map((r) => r.close()));
}

// ---- what the receivers are told about ----

/** A deadlock fixed by one verified restart, as the workflow reports it. */
export function sampleReport(over: Partial<IncidentReport> = {}): IncidentReport {
  return {
    incidentId: 'INC-20250101-abcdef12',
    workflowId: 'incident-localize-api.availability',
    runId: '0192f3a4-0000-7000-8000-000000000001',
    key: 'localize-api.availability',
    service: 'localize-api',
    class: 'deadlock',
    signatureId: 'hung-event-loop',
    severity: 'low',
    confidence: 0.92,
    outcome: 'auto-resolved',
    reasons: ['instance 1 times out on /healthz while PM2 says online', 'the event loop is blocked: no answer within 500 ms, 3 of 3 samples'],
    actions: [
      {
        action: 'pm2-restart',
        attempt: 1,
        idempotencyKey: 'INC-20250101-abcdef12/1/pm2-restart',
        pmIds: [1],
        startedAt: '2025-01-01T10:00:05.000Z',
        endedAt: '2025-01-01T10:00:06.000Z',
        performed: true,
        error: null,
        summary: 'restarted pm_id 1',
        undo: { kind: 'none', why: 'a restart has nothing to undo' },
        verified: true,
        verification: 'healthy for 3000 ms, no new restarts',
        undone: false,
      },
    ],
    failedAttempts: 0,
    escalation: null,
    humans: [],
    alertsReceived: 2,
    detectedAt: '2025-01-01T10:00:02.000Z',
    startedAt: '2025-01-01T10:00:02.500Z',
    endedAt: '2025-01-01T10:00:10.000Z',
    ttrSeconds: 8.2,
    resolution: null,
    ...over,
  };
}

/** The page the workflow sends after a crash loop failed two remediation attempts. */
export function samplePage(over: Partial<PageContext> = {}): PageContext {
  return {
    incidentId: 'INC-20250101-0badc0de',
    workflowId: 'incident-localize-api.availability',
    service: 'localize-api',
    reason: 'recovery failed twice (2 failed attempts)',
    details: ['instance 0 exits with code 1 within 2 s of every start', 'pm2-restart attempt 2 not verified'],
    ...over,
  };
}
