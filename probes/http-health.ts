// One HTTP health probe that tells apart the failures that mean different things: nothing listening
// (refused: crashed or not started) versus no answer in time (timeout: hung or deadlocked).
import http from 'node:http';
import https from 'node:https';
import type { ProbeOutcome } from '../policy/types';

export interface ProbeResult {
  outcome: ProbeOutcome;
  httpStatus: number | null;
  latencyMs: number;
  error?: string;
}

export function probeHealth(url: string, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    // A fresh connection per probe (agent: false): a pooled socket to a dead process would report a
    // reset instead of the refusal that tells us nothing is listening.
    const req = client.get(url, { agent: false, headers: { 'user-agent': 'zero-touch-probe' } }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      finish({ outcome: status >= 200 && status < 300 ? 'ok' : 'unhealthy', httpStatus: status, latencyMs: elapsed() });
    });
    const timer = setTimeout(() => finish({ outcome: 'timeout', httpStatus: null, latencyMs: elapsed() }), timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      const outcome: ProbeOutcome = err.code === 'ECONNREFUSED' ? 'refused' : 'error';
      finish({ outcome, httpStatus: null, latencyMs: elapsed(), error: err.code ?? err.message });
    });
  });
}
