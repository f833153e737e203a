// The search attributes of the design's contract: registered on the dev server (temporal/dev-server.ts),
// in docker-compose, and upserted by incidentWorkflow so the Web UI can filter incidents.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const IncidentService = defineSearchAttributeKey('IncidentService', SearchAttributeType.KEYWORD);
export const IncidentClass = defineSearchAttributeKey('IncidentClass', SearchAttributeType.KEYWORD);
export const IncidentSeverity = defineSearchAttributeKey('IncidentSeverity', SearchAttributeType.KEYWORD);
export const IncidentPhase = defineSearchAttributeKey('IncidentPhase', SearchAttributeType.KEYWORD);
export const IncidentOutcome = defineSearchAttributeKey('IncidentOutcome', SearchAttributeType.KEYWORD);
export const IncidentConfidence = defineSearchAttributeKey('IncidentConfidence', SearchAttributeType.DOUBLE);

/** Name → type as the Temporal CLI spells it (`--search-attribute Name=Type`). */
export const SEARCH_ATTRIBUTES: Readonly<Record<string, 'Keyword' | 'Double'>> = {
  IncidentService: 'Keyword',
  IncidentClass: 'Keyword',
  IncidentSeverity: 'Keyword',
  IncidentPhase: 'Keyword',
  IncidentOutcome: 'Keyword',
  IncidentConfidence: 'Double',
};
