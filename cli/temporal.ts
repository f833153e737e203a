// One short-lived Temporal client per command. The connect timeout is short because an operator at a
// terminal (or a script) should hear "Temporal is not there" in seconds, not hang.
import { Client, Connection, NamespaceNotFoundError } from '@temporalio/client';
import type { Config } from '../config/schema';
import { temporalAddress } from './config';
import { CliError } from './errors';

const CONNECT_TIMEOUT_MS = 3_000;
/** Queries need a worker to answer; without one the server would keep the call open. */
export const QUERY_TIMEOUT_MS = 10_000;

export interface TemporalSession {
  client: Client;
  connection: Connection;
  address: string;
  namespace: string;
}

export async function withTemporal<T>(config: Config, run: (session: TemporalSession) => Promise<T>): Promise<T> {
  const address = temporalAddress(config);
  const namespace = config.temporal.namespace;
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: CONNECT_TIMEOUT_MS });
  } catch (err) {
    throw new CliError(
      `cannot reach Temporal at ${address} (namespace ${namespace}): ${firstLine(err)}. ` +
        'Is `npm start` running, or TEMPORAL_ADDRESS set to your server?',
    );
  }
  try {
    return await run({ client: new Client({ connection, namespace }), connection, address, namespace });
  } catch (err) {
    if (err instanceof NamespaceNotFoundError) {
      throw new CliError(`namespace ${namespace} does not exist on the Temporal server at ${address} (set TEMPORAL_NAMESPACE)`);
    }
    throw err;
  } finally {
    await connection.close();
  }
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}
