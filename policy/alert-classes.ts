// The alert names zero-touch's own detectors raise, and the incident class each one points at. Alerts
// from other sources name their class with a `class` label, or are matched by name in policy/groups.ts.
import { INCIDENT_CLASSES, type IncidentClass } from './types';

export const DETECTOR_ALERTS = {
  ProcessExited: 'process-crash',
  ProcessCrashLoop: 'process-crash',
  ProcessErrored: 'process-crash',
  MemoryLeak: 'memory-leak',
  CpuSpike: 'cpu-spike',
  DiskPressure: 'disk-pressure',
  NodeRebooted: 'node-reboot',
  Pm2DaemonRestarted: 'node-reboot',
  InstanceUnhealthy: 'unhealthy-health-check',
  InstanceRefusingConnections: 'unhealthy-health-check',
  InstanceHealthError: 'unhealthy-health-check',
  FailedStartup: 'failed-startup',
  InstanceHealthTimeout: 'deadlock',
  RouteTimeout: 'route-timeout',
  BadDeploy: 'bad-deploy',
  UpstreamFailure: 'upstream-failure',
  DnsResolutionFailure: 'dns-failure',
  LoadBalancerImbalance: 'lb-imbalance',
} as const satisfies Record<string, IncidentClass>;

export type DetectorAlertName = keyof typeof DETECTOR_ALERTS;

/** The class an alert names: an explicit `class` label wins, then the detector's own alert names. */
export function classOfAlert(name: string, labels: Record<string, string> = {}): IncidentClass | null {
  const label = labels.class;
  if (label && (INCIDENT_CLASSES as readonly string[]).includes(label)) return label as IncidentClass;
  return (DETECTOR_ALERTS as Record<string, IncidentClass>)[name] ?? null;
}
