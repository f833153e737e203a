// The Temporal server for a test file: the one the runner started (TEMPORAL_ADDRESS), or — when a
// file is run on its own — a fresh in-memory dev server that stops with the file.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createLogger } from '../../observability/logger';
import { installTemporalRuntime } from '../../observability/temporal-runtime';
import { provisionTemporal } from '../../temporal/provision';

let runtimeInstalled = false;

export interface TestTemporal {
  address: string;
  namespace: string;
  client: Client;
  /** For Workers. */
  native: NativeConnection;
  close(): Promise<void>;
}

const quiet = { info: () => undefined, warn: (msg: string) => console.warn(msg) };

export async function testTemporal(): Promise<TestTemporal> {
  if (!runtimeInstalled) {
    installTemporalRuntime(createLogger('test-sdk'));
    runtimeInstalled = true;
  }
  const endpoint = await provisionTemporal({ headless: true, log: quiet });
  const connection = await Connection.connect({ address: endpoint.address });
  const native = await NativeConnection.connect({ address: endpoint.address });
  const client = new Client({ connection, namespace: endpoint.namespace });
  return {
    address: endpoint.address,
    namespace: endpoint.namespace,
    client,
    native,
    async close() {
      await native.close();
      await connection.close();
      await endpoint.stop();
    },
  };
}

/** A task queue of its own per test, so tests sharing one server never steal each other's tasks. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
