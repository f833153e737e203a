// A real Alertmanager in front of the real ingress: an alert added with `amtool alert add`, exactly as an
// operator would, is routed to /hooks/alertmanager with the bearer token and opens the incident.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { IncidentService } from '../../signals/search-attributes';
import { awaitIncidentRun, awaitStatus } from '../helpers/incidents';
import type { Monitoring } from '../helpers/monitoring';
import { startMonitoredSystem, type MonitoredSystem } from '../helpers/monitored-system';
import type { TestSystem } from '../helpers/system';

let sys: TestSystem;
let monitoring: Monitoring;
let system: MonitoredSystem;

before(async () => {
  system = await startMonitoredSystem();
  ({ sys, monitoring } = system);
});

after(async () => {
  await system?.stop();
});

test('an alert added with amtool reaches the ingress through Alertmanager and opens an incident', async () => {
  const workflowId = sys.workflowId('availability');
  await monitoring.amtool([
    'alert',
    'add',
    'alertname=InstanceUnhealthy',
    `service=${sys.service}`,
    'pm2_instance=0',
    '--annotation=summary=health check failing (amtool)',
  ]);

  const handle = await awaitIncidentRun(sys.temporal.client, workflowId, undefined, 20_000);
  const described = await handle.describe();
  assert.equal(described.typedSearchAttributes.get(IncidentService), sys.service);
  const status = await awaitStatus(handle, 'the amtool alert recorded in the incident', (s) => s.alerts.received >= 1, 10_000);
  assert.equal(status.service, sys.service);
  assert.equal(status.key, `${sys.service}.availability`);
  assert.equal(status.alerts.lastName, 'InstanceUnhealthy');
});
