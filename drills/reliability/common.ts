// What the drills share: the hang alert a health prober would send, the demo services under a PM2 daemon
// of the drill's own, and reading a run's history.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { demoApp } from '../../demo/ecosystem';
import { Pm2Client } from '../../pm2/client';
import { alertSchema, type Alert } from '../../signals/alert';
import { freePortRange, waitForHealthy } from '../../test/helpers/system';

export function hangAlert(service: string, instance: number, tag: string): Alert {
  return alertSchema.parse({
    source: 'generic',
    service,
    name: 'InstanceHealthTimeout',
    status: 'firing',
    instance,
    summary: 'health check timed out',
    startsAt: new Date().toISOString(),
    fingerprint: `${service}-${tag}`,
  });
}

export interface DemoFleet {
  dir: string;
  pm2Home: string;
  pm2: Pm2Client;
  services: Array<{ name: string; basePort: number; instances: number }>;
  instanceUrl(service: string, instance: number): string;
  /** PM2's restart count of every instance, by pm_id. */
  restarts(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** `count` demo services of 2 instances each, on free ports, under a PM2 daemon of their own. */
export async function startDemoFleet(prefix: string, count: number, instances = 2): Promise<DemoFleet> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `zt-drill-${prefix}-`));
  const pm2Home = path.join(dir, 'pm2');
  const pm2 = await Pm2Client.connect({ home: pm2Home });
  const services: DemoFleet['services'] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = `${prefix}-${i}-${Math.random().toString(36).slice(2, 6)}`;
      const basePort = await freePortRange(instances);
      await pm2.start(demoApp({ name, instances, basePort, stateDir: path.join(dir, `demo-${i}`) }));
      services.push({ name, basePort, instances });
    }
    await Promise.all(services.map((s) => waitForHealthy(s.basePort, s.instances, 30_000)));
  } catch (err) {
    await pm2.killDaemon().catch(() => undefined);
    await pm2.disconnect().catch(() => undefined);
    throw err;
  }
  return {
    dir,
    pm2Home,
    pm2,
    services,
    instanceUrl: (service, instance) => `http://127.0.0.1:${services.find((s) => s.name === service)!.basePort + instance}`,
    async restarts() {
      const out: Record<string, number> = {};
      for (const p of await pm2.list()) out[String(p.pmId)] = p.restarts;
      return out;
    },
    async stop() {
      await pm2.killDaemon().catch(() => undefined);
      await pm2.disconnect().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What was running when the drill struck: the incident's pending activities (type and state). */
export async function pendingActivities(handle: WorkflowHandle): Promise<string[]> {
  const d = await handle.describe().catch(() => null);
  const states = ['?', 'scheduled', 'started', 'cancel-requested', 'paused', 'pause-requested'];
  return (d?.raw.pendingActivities ?? []).map((a) => `${a.activityType?.name}:${states[Number(a.state)] ?? a.state}`);
}

/** Milliseconds since the epoch of a history event time. */
export function eventMs(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!t) return NaN;
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/** Visible workflow executions matching a visibility query (the count API). */
export async function countWorkflows(client: Client, query: string): Promise<number> {
  const res = await client.workflow.count(query);
  return res.count;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
