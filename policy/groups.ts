// Which open incident an alert joins. Alerts about the same service and the same kind of trouble
// share one incident (key `<service>.<group>`), so a storm of related alerts is one incident.
import { classOfAlert } from './alert-classes';
import type { IncidentClass } from './types';

export const SIGNATURE_GROUPS = ['availability', 'resources', 'traffic', 'network', 'other'] as const;
export type SignatureGroup = (typeof SIGNATURE_GROUPS)[number];

export const CLASS_GROUPS: Record<IncidentClass, SignatureGroup> = {
  'process-crash': 'availability',
  'unhealthy-health-check': 'availability',
  'failed-startup': 'availability',
  deadlock: 'availability',
  'node-reboot': 'availability',
  'memory-leak': 'resources',
  'cpu-spike': 'resources',
  'disk-pressure': 'resources',
  'route-timeout': 'traffic',
  'bad-deploy': 'traffic',
  'upstream-failure': 'network',
  'dns-failure': 'network',
  'lb-imbalance': 'network',
};

// For alerts from other tools that carry neither a `group` nor a `class` label.
const NAME_PATTERNS: Array<[RegExp, SignatureGroup]> = [
  [/crash|exit|restart|errored|health|hang|deadlock|unresponsive|down|startup|reboot|instance/i, 'availability'],
  [/memory|heap|cpu|disk|inode|leak/i, 'resources'],
  [/deploy|release|rollback|error.?rate|5xx|latency|slow|route/i, 'traffic'],
  [/upstream|dns|resolv|balancer|haproxy|backend/i, 'network'],
];

/** A `group` label wins, then the alert's class, then its name; unknown names share the "other" incident. */
export function groupOf(alertName: string, labels: Record<string, string> = {}): SignatureGroup {
  const explicit = labels.group;
  if (explicit && (SIGNATURE_GROUPS as readonly string[]).includes(explicit)) return explicit as SignatureGroup;
  const cls = classOfAlert(alertName, labels);
  if (cls) return CLASS_GROUPS[cls];
  return NAME_PATTERNS.find(([pattern]) => pattern.test(alertName))?.[1] ?? 'other';
}

export function incidentKey(service: string, alertName: string, labels: Record<string, string> = {}): string {
  return `${service}.${groupOf(alertName, labels)}`;
}
