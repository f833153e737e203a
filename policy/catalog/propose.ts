// Learning from a human: when someone resolves an escalated incident and says what the root cause was and
// what fixed it, zero-touch drafts a catalog signature from the evidence it had gathered, so the next such
// incident can be handled without waking anyone — once a human has reviewed the draft and added it to
// policy.catalogFiles. Nothing is adopted automatically: a wrong signature would act on the wrong incidents.
//
// The draft's evidence: the items of the signature the diagnosis matched that held (same weights), plus
// what told the sick instances apart (every instance fact that held on each of them and on none of the
// healthy ones), the firing alert classes and the log signals seen. A superset of what matched, so once
// adopted it outranks the generic signature on exactly these incidents and on no others. Pure and
// deterministic; activities/propose-signature.ts writes the file.
import type { HumanResolution } from '../../signals/incident';
import { AUTOMATIC_ACTIONS } from '../actions';
import type { Evidence, IncidentClass } from '../types';
import { INSTANCE_FACTS, instanceFact, instanceHealthy, serviceView, type FactSettings } from './facts';
import { parseCatalogFile } from './load';
import type { Signature } from './schema';

export type { HumanResolution };

export interface ProposalInput {
  incidentId: string;
  evidence: Evidence;
  settings: FactSettings;
  /** The diagnosis' class, the signature it matched and the instances it blamed, if it got that far. */
  diagnosedClass: IncidentClass | null;
  diagnosedSignature?: Signature | null;
  affectedPmIds: number[];
  resolution: HumanResolution;
}

export type Proposal = { signature: Signature; why: string[] } | { signature: null; why: string[] };

// Facts that describe every incident (or none) and tell nothing apart.
const UNINFORMATIVE = new Set(['instance.alerted']);

export function proposeSignature(input: ProposalInput): Proposal {
  const { evidence, resolution } = input;
  const cls = resolution.class ?? input.diagnosedClass ?? firstFiringClass(evidence);
  if (!cls) return { signature: null, why: ['no class: the diagnosis found none and the resolution named none (resolve with "class")'] };

  const view = serviceView(evidence, input.settings);
  const sick = evidence.instances.filter((i) => (input.affectedPmIds.length ? input.affectedPmIds.includes(i.pmId) : !instanceHealthy(i)));
  const healthy = evidence.instances.filter((i) => !sick.includes(i));
  const why: string[] = [];

  const instanceFacts = sick.length
    ? Object.keys(INSTANCE_FACTS).filter(
        (name) =>
          !UNINFORMATIVE.has(name) &&
          sick.every((i) => instanceFact(name, { instance: i, service: view }).holds) &&
          healthy.every((i) => !instanceFact(name, { instance: i, service: view }).holds),
      )
    : [];
  if (instanceFacts.length) why.push(`on the sick instance(s) and none of the healthy ones: ${instanceFacts.join(', ')}`);
  const alertClasses = [...view.firingClasses.keys()];
  if (alertClasses.length) why.push(`firing alert class(es): ${alertClasses.join(', ')}`);
  const logSignals = [...view.logMatches.keys()];
  if (logSignals.length) why.push(`log signal(s) seen: ${logSignals.join(', ')}`);

  // What the matched signature saw, as it weighed it, where it held on every sick instance.
  const base = input.diagnosedSignature && input.diagnosedSignature.class === cls && input.diagnosedSignature.scope === 'instance' ? input.diagnosedSignature : null;
  const inherited = (base?.evidence ?? []).filter((item) => item.weight >= 0 && sick.length > 0 && sick.every((i) => instanceFact(item.fact, { instance: i, service: view }).holds !== item.absent));
  if (base) why.push(`built on ${base.id}, whose evidence held: ${inherited.map((i) => i.fact).join(', ') || 'none'}`);
  const have = new Set(inherited.map((i) => i.fact));
  const evidenceItems: Array<Record<string, unknown> & { fact: string }> = [...inherited];
  const add = (item: Record<string, unknown> & { fact: string }) => {
    if (!have.has(item.fact)) evidenceItems.push(item);
    have.add(item.fact);
  };
  // The alert that names the class makes the draft specific; the distinguishing facts narrow it down.
  for (const c of alertClasses) add({ fact: `alert-class:${c}`, weight: c === cls ? 0.6 : 0.2, ...(c === cls ? { specificity: 'specific', required: true } : {}) });
  for (const fact of instanceFacts) add({ fact, weight: 0.25, required: true });
  for (const s of logSignals) add({ fact: `log:${s}`, weight: 0.3, specificity: 'specific' });
  if (!evidenceItems.some((e) => 'specificity' in e && e.specificity === 'specific')) {
    return { signature: null, why: [...why, 'nothing specific to recognise it by: no firing alert of that class and no log signal'] };
  }

  const fixAction = resolution.action && (AUTOMATIC_ACTIONS as readonly string[]).includes(resolution.action) ? resolution.action : null;
  if (!fixAction) why.push('no approved action named as the fix: the draft has an empty playbook, so such incidents still go to a human, with this diagnosis');
  const said = [resolution.rootCause && `root cause "${resolution.rootCause}"`, resolution.fix && `fix "${resolution.fix}"`].filter(Boolean).join('; ');
  const raw = {
    id: `learned-${input.incidentId.toLowerCase()}`.slice(0, 63),
    class: cls,
    scope: 'instance',
    description: `Learned from ${input.incidentId}, resolved by ${resolution.operator}${said ? `: ${said}` : ''}. Review before adding to policy.catalogFiles.`,
    evidence: evidenceItems,
    confidence: { max: 0.97, maxReason: 'drafted from one human resolution' },
    severity: { base: 'low' },
    playbook: fixAction ? [fixAction] : [],
  };
  // The draft must load as a catalog file as it stands; a proposal that would not is a bug here.
  const [signature] = parseCatalogFile({ signatures: [raw] }, `proposal for ${input.incidentId}`).signatures;
  return { signature: signature!, why };
}

function firstFiringClass(evidence: Evidence): IncidentClass | null {
  return evidence.alerts.firing.find((a) => a.class)?.class ?? null;
}
