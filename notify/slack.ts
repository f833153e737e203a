// The Slack incoming-webhook message for an incident that resolved itself: a notification, not a page.
// `text` is what a phone notification and a client without blocks show; the blocks are what people read.
import type { ActionRecord, IncidentReport } from '../signals/incident';
import { formatTtr, truncate, workflowUiUrl } from './links';
import type { LinkContext } from './types';

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
  channel?: string;
  username?: string;
}

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string } }
  | { type: 'section'; text?: { type: 'mrkdwn'; text: string }; fields?: Array<{ type: 'mrkdwn'; text: string }> }
  | { type: 'context'; elements: Array<{ type: 'mrkdwn'; text: string }> };

export interface SlackOptions extends LinkContext {
  channel?: string;
  username?: string;
}

// Slack's documented limits: header text 150, section text 3000, a field 2000, at most 10 fields.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const MAX_REASONS = 5;

/** Slack mrkdwn treats these three as control characters; everything else is literal. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const OUTCOME_WORDS: Record<IncidentReport['outcome'], string> = {
  'auto-resolved': 'resolved automatically',
  'recovered-without-action': 'recovered without any action',
  'resolved-by-human': 'resolved by a human',
};

/** How one action ended, in words. */
export function actionResult(a: ActionRecord): string {
  if (a.error) return a.refused ? `refused: ${a.error}` : `failed: ${a.error}`;
  if (!a.performed) return 'not performed';
  const verdict = a.verified === true ? 'verified' : a.verified === false ? 'not verified' : 'performed, not verified';
  return a.undone ? `${verdict}, since undone` : verdict;
}

export function actionLine(a: ActionRecord): string {
  const on = a.pmIds.length ? ` on pm_id ${a.pmIds.join(',')}` : '';
  return `${a.action} (attempt ${a.attempt})${on}: ${actionResult(a)}${a.summary ? ` — ${a.summary}` : ''}`;
}

function field(label: string, value: string) {
  return { type: 'mrkdwn' as const, text: truncate(`*${label}*\n${value}`, FIELD_MAX) };
}

function bullets(lines: string[], title: string): string {
  let text = `*${title}*`;
  for (const [i, line] of lines.entries()) {
    const next = `\n• ${escapeMrkdwn(line)}`;
    const more = `\n…and ${lines.length - i} more in the timeline`;
    if (text.length + next.length + more.length > SECTION_MAX) return text + more;
    text += next;
  }
  return text;
}

export function slackResolvedMessage(report: IncidentReport, opts: SlackOptions): SlackMessage {
  const cls = report.class ?? 'unclassified';
  const outcome = OUTCOME_WORDS[report.outcome];
  const ttr = formatTtr(report.ttrSeconds);
  const url = workflowUiUrl(opts, report.workflowId, report.runId);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`Resolved: ${report.service} — ${cls}`, HEADER_MAX) } },
    {
      type: 'section',
      fields: [
        field('Service', escapeMrkdwn(report.service)),
        field('Class', escapeMrkdwn(cls)),
        field('Outcome', `${report.outcome} (${outcome})`),
        field('Time to recovery', ttr),
        field('Severity', report.severity ?? 'unknown'),
        field('Confidence', report.confidence === null ? 'n/a' : report.confidence.toFixed(2)),
        field('Incident', escapeMrkdwn(report.incidentId)),
        field('Temporal workflow', `\`${escapeMrkdwn(report.workflowId)}\``),
      ],
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: report.actions.length ? bullets(report.actions.map(actionLine), 'Actions') : '*Actions*\nNone: the service recovered on its own and verification confirmed it.',
      },
    },
  ];
  if (report.reasons.length) {
    const shown = report.reasons.slice(0, MAX_REASONS);
    const rest = report.reasons.length - shown.length;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: bullets(rest ? [...shown, `…${rest} more`] : shown, 'Why') } });
  }
  const humans = [...new Set(report.humans.map((h) => h.operator))];
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: truncate(
          `<${url}|Timeline in the Temporal Web UI> · ${report.alertsReceived} alert(s) · ` +
            (report.escalation ? `escalated earlier: ${escapeMrkdwn(report.escalation.reason)}` : 'no one was paged') +
            (humans.length ? ` · humans involved: ${escapeMrkdwn(humans.join(', '))}` : ''),
          SECTION_MAX,
        ),
      },
    ],
  });
  const lead = report.escalation ? 'Resolved after an escalation' : 'Resolved without paging anyone';
  const text = truncate(
    `${lead}: ${report.service} ${cls}, ${outcome} in ${ttr} (${report.incidentId}, ${report.workflowId})`,
    SECTION_MAX,
  );
  return {
    text,
    blocks,
    ...(opts.channel ? { channel: opts.channel } : {}),
    ...(opts.username ? { username: opts.username } : {}),
  };
}
