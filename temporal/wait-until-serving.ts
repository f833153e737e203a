import { Connection } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProvisionLog } from './log';
import { ensureSearchAttributes, SearchAttributeTypeMismatchError } from './search-attribute-registration';

const RETRY_MS = 200;

export interface WaitUntilServingOptions {
  address: string;
  namespace: string;
  /** Checked too when set, so a returned UI URL is one a browser can open. */
  uiUrl: string | null;
  timeoutMs: number;
  /** Aborted when the server process dies, so we fail at once instead of at the timeout. */
  signal: AbortSignal;
  log: ProvisionLog;
}

/**
 * Returns once the server answers `getSystemInfo`, lists every contract search attribute and (if any) serves its
 * UI: the point from which workers and clients can start without retry noise.
 */
export async function waitUntilServing(opts: WaitUntilServingOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastProblem = 'no attempt finished';
  while (!opts.signal.aborted) {
    if (Date.now() > deadline) {
      throw new Error(`Temporal at ${opts.address} was not ready within ${opts.timeoutMs / 1000} s (last problem: ${lastProblem})`);
    }
    try {
      await checkOnce(opts, deadline);
      return;
    } catch (error) {
      if (error instanceof SearchAttributeTypeMismatchError) throw error; // waiting cannot fix a wrong type
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await sleep(RETRY_MS);
  }
  throw new Error(String(opts.signal.reason));
}

async function checkOnce(opts: WaitUntilServingOptions, deadline: number): Promise<void> {
  const connectTimeout = Math.max(500, Math.min(2_000, deadline - Date.now()));
  const connection = await Connection.connect({ address: opts.address, connectTimeout });
  try {
    await connection.workflowService.getSystemInfo({});
    await ensureSearchAttributes(connection, opts.namespace, opts.log);
  } finally {
    await connection.close();
  }
  if (opts.uiUrl) {
    const response = await fetch(opts.uiUrl, { signal: AbortSignal.timeout(connectTimeout) });
    await response.body?.cancel(); // only the status matters; free the socket
    if (response.status !== 200) throw new Error(`UI ${opts.uiUrl} answered ${response.status}`);
  }
}
