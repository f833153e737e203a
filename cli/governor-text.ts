// The governor's state as `zt governor` and `zt mode` print it for a human.
import type { AuditEntry, GovernorView, ServiceGovernance } from '../signals/governor';
import { formatDuration } from './duration';
import { shortTime } from './incident-rows';
import { formatTable } from './table';

/** Audit entries shown by `zt governor`; `--json` gives the whole list the governor keeps. */
export const RECENT_AUDIT = 15;

export function modeText(mode: GovernorView['mode']): string {
  return `${mode.mode} (since ${shortTime(mode.since)}, set by ${mode.by}${mode.reason ? `: ${mode.reason}` : ''})`;
}

function maintenanceCell(m: ServiceGovernance['maintenance']): string {
  if (!m) return '-';
  const who = m.source === 'operator' ? `${m.by}: ${m.reason}` : `window ${m.window}`;
  return `until ${shortTime(m.until)} (${who})`;
}

function breakerCell(b: ServiceGovernance['breaker']): string {
  if (b.open) return `OPEN since ${shortTime(b.openedAt ?? '')}`;
  return `closed ${b.remediations}/${b.maxRemediations} in ${formatDuration(b.windowMs)}`;
}

function auditLine(e: AuditEntry): string {
  return `${shortTime(e.at)}  ${e.actor}  ${e.kind}${e.applied ? '' : ' (ignored)'}  ${e.summary}`;
}

export function governorText(v: GovernorView): string {
  const s = v.settings;
  const header = [
    `mode       ${modeText(v.mode)}`,
    `operators  ${v.operators.length ? v.operators.join(', ') : 'anyone (no allowlist)'}`,
    `bounds     ${s.actionsPerHour} actions/hour per service, at most ${Math.round(s.maxInstanceShare * 100)}% of instances out at once, ` +
      `lease ${formatDuration(s.leaseTtlMs)}, breaker at ${s.breaker.maxRemediations} remediations in ${formatDuration(s.breaker.windowMs)}`,
  ].join('\n');
  const table = formatTable(
    ['SERVICE', 'MAINTENANCE', 'BUDGET', 'LEASE', 'BREAKER'],
    v.services.map((x) => [
      x.service,
      maintenanceCell(x.maintenance),
      `${x.budget.used}/${x.budget.limit}`,
      x.lease ? `${x.lease.incidentId} ${x.lease.action} until ${shortTime(x.lease.expiresAt)}` : '-',
      breakerCell(x.breaker),
    ]),
  );
  const recent = v.audit.slice(-RECENT_AUDIT);
  const audit = recent.length ? recent.map(auditLine).join('\n') : '(none)';
  return `${header}\n\n${table}\n\nRecent changes (latest ${recent.length} of ${v.audit.length} kept; the governor's history has all)\n${audit}`;
}
