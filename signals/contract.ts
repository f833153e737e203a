// Wire names of every signal and query (design contract). Shared by the workflow, ingress, CLI and
// tests so a typo cannot split them. Payloads arrive as unknown and are validated by the workflow.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { IncidentStatus, TimelineEntry } from './incident';
import type { HumanSignalName } from './human';

export const alertSignal = defineSignal<[unknown]>('alert');

export const humanSignals: Record<HumanSignalName, ReturnType<typeof defineSignal<[unknown]>>> = {
  pause: defineSignal<[unknown]>('pause'),
  resume: defineSignal<[unknown]>('resume'),
  takeOver: defineSignal<[unknown]>('takeOver'),
  release: defineSignal<[unknown]>('release'),
  approve: defineSignal<[unknown]>('approve'),
  reject: defineSignal<[unknown]>('reject'),
  resolve: defineSignal<[unknown]>('resolve'),
  revert: defineSignal<[unknown]>('revert'),
};

export const statusQuery = defineQuery<IncidentStatus>('status');
export const timelineQuery = defineQuery<TimelineEntry[]>('timeline');
