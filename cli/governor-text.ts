// The governor's state as `zt governor`, `zt mode` and `zt limits` print it for a human.
import type { AuditEntry, EffectiveLimit, GovernorView, ServiceGovernance, ServiceLimits } from '../signals/governor';
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

type LimitName = 'actionsPerHour' | 'maxInstanceShare' | 'breaker.maxRemediations' | 'breaker.windowMs';

/** The four limits of a service, named as config and the setLimits payload name them. */
function limitList(l: ServiceLimits): Array<[LimitName, EffectiveLimit]> {
  return [
    ['actionsPerHour', l.actionsPerHour],
    ['maxInstanceShare', l.maxInstanceShare],
    ['breaker.maxRemediations', l.breaker.maxRemediations],
    ['breaker.windowMs', l.breaker.windowMs],
  ];
}

const limitValue = (name: LimitName, value: number) => (name === 'breaker.windowMs' ? formatDuration(value) : String(value));
const overrideText = (r: EffectiveLimit['runtime']) => (r ? `${r.by} at ${shortTime(r.since)}: ${r.reason}` : '-');

/** `zt limits <service>`: each limit in force, where it comes from, what config gives, who overrode it. */
export function serviceLimitsText(s: ServiceGovernance): string {
  const rows = limitList(s.limits).map(([name, l]) => [name, limitValue(name, l.value), l.source, `${limitValue(name, l.config.value)} (${l.config.source})`, overrideText(l.runtime)]);
  const anyRuntime = rows.some((r) => r[2] === 'runtime');
  const footer = anyRuntime ? `\n\nRuntime limits win over config until \`zt limits clear ${s.service}\`.` : '';
  return `limits of ${s.service} (runtime > config > default)\n\n${formatTable(['LIMIT', 'VALUE', 'FROM', 'CONFIG', 'RUNTIME OVERRIDE'], rows)}${footer}`;
}

/** `zt limits`: one row per service, each limit with where it comes from. */
export function limitsTable(services: ServiceGovernance[]): string {
  return formatTable(
    ['SERVICE', 'ACTIONS/HOUR', 'MAX SHARE', 'BREAKER MAX', 'BREAKER WINDOW'],
    services.map((s) => [s.service, ...limitList(s.limits).map(([name, l]) => `${limitValue(name, l.value)} (${l.source})`)]),
  );
}

/** The runtime limits in force, for `zt governor`; empty when config rules everywhere. */
function runtimeLimitsSection(services: ServiceGovernance[]): string {
  const rows = services.flatMap((s) =>
    limitList(s.limits)
      .filter(([, l]) => l.source === 'runtime')
      .map(([name, l]) => [s.service, name, limitValue(name, l.value), `${limitValue(name, l.config.value)} (${l.config.source})`, overrideText(l.runtime)]),
  );
  if (!rows.length) return '';
  return `\n\nRuntime limits (win over config until \`zt limits clear <service>\`)\n${formatTable(['SERVICE', 'LIMIT', 'VALUE', 'CONFIG', 'SET BY'], rows)}`;
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
      x.lease ? `${x.lease.incidentId} ${x.lease.action ?? 'diagnosing'} until ${shortTime(x.lease.expiresAt)}` : '-',
      breakerCell(x.breaker),
    ]),
  );
  const recent = v.audit.slice(-RECENT_AUDIT);
  const audit = recent.length ? recent.map(auditLine).join('\n') : '(none)';
  return `${header}\n\n${table}${runtimeLimitsSection(v.services)}\n\nRecent changes (latest ${recent.length} of ${v.audit.length} kept; the governor's history has all)\n${audit}`;
}
