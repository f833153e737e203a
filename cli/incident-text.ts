// Readable text for one incident: its live status and timeline, or its final report.
import type { ActionRecord, IncidentReport, IncidentStatus, TimelineEntry } from '../signals/incident';
import { formatTtr, shortTime } from './incident-rows';
import { formatTable } from './table';

type Field = [label: string, value: string | null];

function fields(rows: Field[]): string {
  const shown = rows.filter((row): row is [string, string] => row[1] !== null);
  const width = Math.max(...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

function classification(c: { class: string | null; severity: string | null; confidence: number | null }): string {
  if (!c.class) return c.severity ? `unclassified (severity ${c.severity})` : 'not yet classified';
  return `${c.class} (severity ${c.severity ?? '?'}, confidence ${c.confidence?.toFixed(2) ?? '?'})`;
}

function actionSummary(a: ActionRecord): string {
  const result = a.error ? `failed (${a.error})` : a.verified === null ? 'not verified' : a.verified ? 'verified' : 'verification failed';
  return `#${a.attempt} ${a.action} pm_id ${a.pmIds.join(',') || '-'}: ${result}${a.undone ? ', reverted' : ''}`;
}

function actionsLine(actions: ActionRecord[]): string | null {
  return actions.length ? actions.map(actionSummary).join('; ') : null;
}

export function statusText(s: IncidentStatus): string {
  return fields([
    ['incident', `${s.incidentId}  (${s.workflowId})`],
    ['service', s.service],
    ['phase', s.phase],
    ['class', classification(s)],
    ['outcome', s.outcome],
    ['controller', s.controller],
    ['paused', s.paused ? `yes, by ${s.pausedBy ?? 'unknown'}` : null],
    ['escalated', s.escalation ? `${s.escalation.reason} (at ${shortTime(s.escalation.at)})` : null],
    ['frozen', s.frozen ? 'yes: no automatic action until release' : null],
    ['approval', s.pendingApproval ? `${s.pendingApproval.action} awaits approve/reject: ${s.pendingApproval.reason}` : null],
    ['attempts', `${s.actions.length} (${s.failedAttempts} failed)`],
    ['actions', actionsLine(s.actions)],
    ['alerts', `${s.alerts.received} received, ${s.alerts.firing} firing, ${s.alerts.resolved} resolved (last ${s.alerts.lastName})`],
    ['detected', shortTime(s.detectedAt)],
    ['started', shortTime(s.startedAt)],
    ['updated', shortTime(s.updatedAt)],
  ]);
}

export function timelineText(timeline: TimelineEntry[]): string {
  if (!timeline.length) return 'timeline is empty';
  return formatTable(
    ['AT', 'WHAT', 'WHO', 'SUMMARY'],
    timeline.map((e) => [shortTime(e.at), e.kind, e.operator, e.summary]),
  );
}

export function reportText(r: IncidentReport): string {
  const resolution = r.resolution
    ? [`by ${r.resolution.operator}`, r.resolution.rootCause && `root cause: ${r.resolution.rootCause}`, r.resolution.fix && `fix: ${r.resolution.fix}`]
        .filter(Boolean)
        .join('; ')
    : null;
  return fields([
    ['incident', `${r.incidentId}  (${r.workflowId}, run ${r.runId})`],
    ['service', r.service],
    ['outcome', r.outcome],
    ['class', classification(r)],
    ['signature', r.signatureId],
    ['ttr', formatTtr(r.ttrSeconds)],
    ['resolution', resolution],
    ['escalated', r.escalation ? `${r.escalation.reason} (at ${shortTime(r.escalation.at)})` : null],
    ['attempts', `${r.actions.length} (${r.failedAttempts} failed)`],
    ['actions', actionsLine(r.actions)],
    ['humans', r.humans.length ? r.humans.map((h) => `${h.operator} ${h.signal}`).join(', ') : null],
    ['alerts', String(r.alertsReceived)],
    ['why', r.reasons.length ? r.reasons.join(' ') : null],
    ['detected', shortTime(r.detectedAt)],
    ['started', shortTime(r.startedAt)],
    ['ended', shortTime(r.endedAt)],
  ]);
}
