// Which open incident an alert joins. Alerts about the same service and the same kind of trouble
// share one incident (key `<service>.<group>`), so a storm of related alerts is one incident.
export const SIGNATURE_GROUPS = ['availability', 'resources', 'deploy', 'network', 'other'] as const;
export type SignatureGroup = (typeof SIGNATURE_GROUPS)[number];

const GROUP_PATTERNS: Array<[RegExp, SignatureGroup]> = [
  [/crash|exit|restart|errored|health|hang|deadlock|unresponsive|down|startup|reboot|instance/i, 'availability'],
  [/memory|heap|cpu|disk|inode|leak/i, 'resources'],
  [/deploy|release|rollback|error.?rate|5xx|latency|timeout/i, 'deploy'],
  [/upstream|dns|resolv|balancer|haproxy|backend/i, 'network'],
];

/** A `group` label wins; otherwise the alert name decides; unknown names share the "other" incident. */
export function groupOf(alertName: string, labels: Record<string, string> = {}): SignatureGroup {
  const explicit = labels.group as SignatureGroup | undefined;
  if (explicit && (SIGNATURE_GROUPS as readonly string[]).includes(explicit)) return explicit;
  return GROUP_PATTERNS.find(([pattern]) => pattern.test(alertName))?.[1] ?? 'other';
}

export function incidentKey(service: string, alertName: string, labels: Record<string, string> = {}): string {
  return `${service}.${groupOf(alertName, labels)}`;
}
