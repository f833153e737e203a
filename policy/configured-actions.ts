// Which `services[].actions` section each automatic action needs. An action whose section is absent
// refuses at run time (InvalidRequestError), so a playbook step naming it can never run for that service:
// classification leaves it out, rather than let the gate run the incident into a refusal, or into a
// follow-up approval for a step that can only be refused. Pure: the service's config is passed in.
import type { ActionsConfig } from '../config/actions';
import { isExcludedAction, type ActionName, type AutomaticAction } from './actions';
import type { Diagnosis } from './types';

export type ActionSection = keyof ActionsConfig;

/**
 * Every automatic action, with the section its activity refuses without (activities/actions/*.ts), or
 * null: it needs none (a restart works on any configured service). A Record, so an action added to
 * AUTOMATIC_ACTIONS without an entry here does not compile.
 */
export const REQUIRED_SECTION: Readonly<Record<AutomaticAction, ActionSection | null>> = {
  'pm2-restart': null,
  'pm2-reload': null,
  'rollback-deploy': 'deploy',
  'scale-up': 'scale',
  'drain-traffic': 'traffic',
  'reroute-traffic': 'traffic',
  'rebalance-weights': 'traffic',
  'flush-cache': 'cache',
  'clean-logs': 'disk',
};

export interface ServiceActions {
  name: string;
  actions: ActionsConfig;
}

/** The section `action` needs and `service` lacks; null when it can run. Excluded actions are never run, so need none. */
export function missingSection(action: ActionName, service: ServiceActions): ActionSection | null {
  if (isExcludedAction(action)) return null;
  const section = REQUIRED_SECTION[action];
  return section !== null && !service.actions[section] ? section : null;
}

/**
 * The diagnosis with only the playbook steps `service` is configured for, each step left out named in the
 * reasons right after the playbook line. Excluded steps stay: they are a plan for a human, never run.
 */
export function configuredPlaybook(diagnosis: Diagnosis, service: ServiceActions): Diagnosis {
  const leftOut = [...new Set(diagnosis.playbook)].map((action) => ({ action, section: missingSection(action, service) })).filter((s) => s.section !== null);
  if (leftOut.length === 0) return diagnosis;
  const playbook = diagnosis.playbook.filter((action) => missingSection(action, service) === null);
  const lines = leftOut.map(({ action, section }) => `Playbook step ${action} left out: ${service.name} has no services[].actions.${section} section.`);
  if (playbook.length === 0) {
    lines.push(`No step of the playbook can run on ${service.name} as configured, so a human decides.`);
  } else {
    lines.push(`Playbook for ${service.name}: ${playbook.join(', then ')}.`);
  }
  const at = lastIndexOf(diagnosis.reasons, (r) => r.startsWith('Playbook: '));
  const reasons = at < 0 ? [...diagnosis.reasons, ...lines] : [...diagnosis.reasons.slice(0, at + 1), ...lines, ...diagnosis.reasons.slice(at + 1)];
  return { ...diagnosis, playbook, reasons };
}

function lastIndexOf<T>(items: readonly T[], match: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (match(items[i]!)) return i;
  return -1;
}
