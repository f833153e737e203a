// Unhealthy health checks and deadlocks: probes every instance PM2 reports online and names what it
// saw — a timeout (hung: deadlock) is not a refusal (down) nor an error status (unhealthy). Exits and
// errored processes belong to the PM2 event watcher.
import { instanceHealthUrl } from '../../config/services';
import { probeHealth, type ProbeResult } from '../../probes/http-health';
import type { DetectorAlertName } from '../../policy/alert-classes';
import type { DetectorFactory } from '../detector';

const ALERT_NAMES: Record<ProbeResult['outcome'], DetectorAlertName> = {
  ok: 'InstanceUnhealthy',
  timeout: 'InstanceHealthTimeout',
  refused: 'InstanceRefusingConnections',
  unhealthy: 'InstanceUnhealthy',
  error: 'InstanceHealthError',
};

export const healthDetector: DetectorFactory = ({ service, pm2, sentinel }) => ({
  name: 'health',
  intervalMs: sentinel.probeIntervalMs,
  damping: { samples: sentinel.failuresToAlert, failures: sentinel.failuresToAlert, holdDownMs: sentinel.holdDownMs },
  async observe() {
    const online = (await pm2.listApp(service.name)).filter((p) => p.status === 'online');
    const results = await Promise.all(online.map((p) => probeHealth(instanceHealthUrl(service, p.instance), sentinel.probeTimeoutMs)));
    return online.map((p, i) => {
      const r = results[i]!;
      const failing = r.outcome !== 'ok';
      return {
        subject: `instance:${p.instance}`,
        instance: p.instance,
        failing,
        alertName: ALERT_NAMES[r.outcome],
        summary: failing
          ? `${service.name} instance ${p.instance} (pm_id ${p.pmId}) health check ${r.outcome}${r.httpStatus ? ` (HTTP ${r.httpStatus})` : ''} while PM2 reports it online.`
          : `${service.name} instance ${p.instance} answers its health check again.`,
        labels: { url: instanceHealthUrl(service, p.instance) },
      };
    });
  },
});
