// Links from a message to the incident's timeline in the Temporal Web UI.
import type { LinkContext } from './types';

/**
 * The run's page when the run id is known; otherwise the workflow list filtered to the workflow id (the
 * UI has no run-less workflow page), which shows every run of that incident key.
 */
export function workflowUiUrl(ctx: LinkContext, workflowId: string, runId?: string): string {
  const ns = encodeURIComponent(ctx.namespace);
  if (runId) return `${ctx.publicUrl}/namespaces/${ns}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}`;
  return `${ctx.publicUrl}/namespaces/${ns}/workflows?query=${encodeURIComponent(`WorkflowId="${workflowId}"`)}`;
}

/** Cuts `text` to at most `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

export function formatTtr(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const total = Math.round(seconds);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return s === 0 ? `${m} min` : `${m} min ${s} s`;
}
