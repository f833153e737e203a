// One POST to one receiver, judged: delivered, worth retrying, or refused for good. Nothing here retries;
// the activity retry policy does, so every attempt is visible in the workflow history.
import type { Channel } from './types';

export interface OutgoingRequest {
  channel: Channel;
  url: string;
  headers: Record<string, string>;
  body: string;
}

export type SendResult =
  | { ok: true; status: number }
  | { ok: false; retryable: boolean; status: number | null; problem: string };

const USER_AGENT = 'zero-touch-notifier/1';
const BODY_EXCERPT = 300;

/**
 * 2xx delivered. 408, 429 and 5xx are the receiver's passing trouble: retry. Any other status (4xx, and
 * a redirect, which is not followed because a POST body does not survive one) means the request or the
 * configuration is wrong and a retry would be refused the same way.
 */
export function judgeStatus(status: number): 'delivered' | 'retry' | 'refused' {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'refused';
}

/**
 * Where a request went, safe to record: the origin only. Webhook URLs (Slack's above all) carry their
 * secret in the path, and whatever is recorded ends up in the workflow history.
 */
export function describeTarget(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

export async function postJson(req: OutgoingRequest, timeoutMs: number): Promise<SendResult> {
  const where = describeTarget(req.url);
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: 'POST',
      headers: { 'user-agent': USER_AGENT, ...req.headers },
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, retryable: true, status: null, problem: `${req.channel}: ${where} unreachable: ${why}` };
  }
  const text = await res.text().catch(() => '');
  const verdict = judgeStatus(res.status);
  if (verdict === 'delivered') return { ok: true, status: res.status };
  const excerpt = text.trim().slice(0, BODY_EXCERPT).replace(/\s+/g, ' ');
  const redirect = res.status >= 300 && res.status < 400 ? ' (redirects are not followed: configure the final URL)' : '';
  return {
    ok: false,
    retryable: verdict === 'retry',
    status: res.status,
    problem: `${req.channel}: ${where} answered HTTP ${res.status}${redirect}${excerpt ? `: ${excerpt}` : ''}`,
  };
}
