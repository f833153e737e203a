// Each configured service as PM2 sees it, in the shape the sentinel and scripts read
// (`zt services --json`, design contract). Pure: the command fetches the PM2 list.
import type { ServiceConfig } from '../config/schema';
import { instanceHealthUrl } from '../config/services';
import type { Pm2Process } from '../pm2/client';
import { formatTable } from './table';

/** online: every expected instance is online; degraded: some; down: none, but PM2 has it; absent: PM2 has none. */
export type ServiceStatus = 'online' | 'degraded' | 'down' | 'absent';

export interface InstanceState {
  pmId: number;
  instance: number;
  pid: number;
  status: string;
  restarts: number;
  healthUrl: string;
}

export interface ServiceState {
  name: string;
  status: ServiceStatus;
  /** OS pids of the instances that have a process right now. */
  pids: number[];
  /** Instance 0's health URL: the service's address when one URL is wanted. */
  healthUrl: string;
  instances: InstanceState[];
}

export function serviceState(service: ServiceConfig, allProcesses: readonly Pm2Process[]): ServiceState {
  const processes = allProcesses.filter((p) => p.name === service.name).sort((a, b) => a.instance - b.instance || a.pmId - b.pmId);
  const online = processes.filter((p) => p.status === 'online').length;
  return {
    name: service.name,
    status: statusOf(processes.length, online, service.instances),
    pids: processes.map((p) => p.pid).filter((pid) => pid > 0),
    healthUrl: instanceHealthUrl(service, 0),
    instances: processes.map((p) => ({
      pmId: p.pmId,
      instance: p.instance,
      pid: p.pid,
      status: p.status,
      restarts: p.restarts,
      healthUrl: instanceHealthUrl(service, p.instance),
    })),
  };
}

function statusOf(present: number, online: number, expected: number): ServiceStatus {
  if (present === 0) return 'absent';
  if (online >= expected) return 'online';
  return online > 0 ? 'degraded' : 'down';
}

/** One row per service; `expected` is the configured instance count the ONLINE column is measured against. */
export function servicesTable(entries: Array<{ state: ServiceState; expected: number }>): string {
  return formatTable(
    ['SERVICE', 'STATUS', 'ONLINE', 'RESTARTS', 'PIDS', 'HEALTH'],
    entries.map(({ state, expected }) => [
      state.name,
      state.status,
      `${state.instances.filter((p) => p.status === 'online').length}/${expected}`,
      state.instances.reduce((sum, p) => sum + p.restarts, 0),
      state.pids.join(','),
      state.healthUrl,
    ]),
  );
}
