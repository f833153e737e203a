// Classification: from evidence to a signature of the catalog, a class, a severity, a confidence, a
// playbook and the reasons a human reads in the Web UI. Pure (the catalog is passed in, already loaded),
// so it is table-tested without PM2 and its result is recorded in history by the classify activity.
//
// Every signature is scored against the facts (policy/catalog/facts.ts, score.ts): instance signatures on
// every instance, service signatures once. Each instance keeps its best "act" match (a failing instance
// with none is "unrecognised"); the strongest of those and of the service matches is the primary. Any
// other class that matched too (another instance's finding, or an alternative at or above the
// competitor floor) is ambiguity: it lowers the confidence by the catalog's penalty and is named.
// "verify-only" signatures (recovered, transient outside our processes) win only when nothing needs acting on.
import { RISK_FLAGS, type RiskFlag } from '../signals/alert';
import { instanceFact, logWhere, outcomeFact, serviceFact, serviceView, type ServiceView } from './catalog/facts';
import type { Catalog, Signature } from './catalog/schema';
import { scoreSignature, termText, type Term } from './catalog/score';
import type { ActionName, Diagnosis, Evidence, IncidentClass, InstanceEvidence, PolicySnapshot, Severity } from './types';

interface Candidate {
  signature: Signature;
  /** The instance it matched on (instance scope), else null. */
  instance: InstanceEvidence | null;
  confidence: number;
  terms: Term[];
}

/** Classes the instance evidence can show by itself: a still-firing alert of these with healthy instances is stale. */
const INSTANCE_VISIBLE = new Set<IncidentClass>(['process-crash', 'unhealthy-health-check', 'deadlock', 'failed-startup']);

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

const round = (n: number) => Math.round(n * 100) / 100;

function label(i: InstanceEvidence): string {
  return `instance ${i.instance} (pm_id ${i.pmId})`;
}

function where(c: Candidate, evidence: Evidence): string {
  return c.instance ? `Instance ${c.instance.instance} (pm_id ${c.instance.pmId})` : `Service ${evidence.service}`;
}

function sentence(s: string): string {
  const t = s.trim();
  const capital = `${t.charAt(0).toUpperCase()}${t.slice(1)}`;
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function unrecognised(i: InstanceEvidence): Candidate {
  const signature: Signature = {
    id: 'unrecognised',
    class: 'unhealthy-health-check',
    description: 'The instance is not healthy but matches no signature of the catalog.',
    scope: 'instance',
    evidence: [],
    confidence: { max: 0.3 },
    severity: { base: 'low', raise: [] },
    risk: [],
    outcome: 'act',
    playbook: ['pm2-restart'],
    playbookRules: [],
  };
  const statuses = [...new Set(i.samples.map((s) => s.status))].join('/');
  return {
    signature,
    instance: i,
    confidence: 0.3,
    terms: [{ text: `not healthy (PM2 ${statuses}, health ${i.samples.map((s) => s.health).join('/')}) but matching no known signature`, delta: 0.3, kind: 'supporting' }],
  };
}

function candidatesOf(catalog: Catalog, evidence: Evidence, view: ServiceView): Candidate[] {
  const out: Candidate[] = [];
  for (const signature of catalog.signatures) {
    if (signature.scope === 'service') {
      const score = scoreSignature(signature, (f) => serviceFact(f, view));
      if (score) out.push({ signature, instance: null, ...score });
      continue;
    }
    for (const instance of evidence.instances) {
      const score = scoreSignature(signature, (f) => instanceFact(f, { instance, service: view }));
      if (score) out.push({ signature, instance, ...score });
    }
  }
  return out;
}

/** The strongest; ties go to the earlier one (instance findings first, then catalog order). */
function strongest(cs: Candidate[]): Candidate | undefined {
  return cs.reduce<Candidate | undefined>((best, c) => (!best || c.confidence > best.confidence + 1e-9 ? c : best), undefined);
}

function alertPmIds(evidence: Evidence): number[] {
  return evidence.instances.filter((i) => evidence.alerts.instances.includes(i.instance)).map((i) => i.pmId);
}

function describeCandidate(c: Candidate): string {
  return `${c.signature.id} (${c.signature.class})${c.instance ? ` on ${label(c.instance)}` : ''} at ${c.confidence.toFixed(2)}`;
}

/** Risk from the alerts' `risk` labels, the service's tags and the log signals that matched. */
function baseRisk(evidence: Evidence): RiskFlag[] {
  const fromTags = evidence.serviceTags.filter((t): t is RiskFlag => (RISK_FLAGS as readonly string[]).includes(t));
  const fromLogs = (evidence.logs ?? []).flatMap((l) => l.matches.flatMap((m) => (m.risk ? [m.risk] : [])));
  return [...new Set([...evidence.alerts.risk, ...fromTags, ...fromLogs])];
}

/**
 * What the logs said that carries risk, one line per signal and file, quoting the line ("Error log of
 * instance 1 says 'jwt malformed' (auth-token-invalid → risk auth)."), and which logs could not be read.
 */
function logReasons(evidence: Evidence): string[] {
  const logs = evidence.logs ?? [];
  const risky = logs.flatMap((log) =>
    log.matches
      .filter((m) => m.risk)
      .map((m) => {
        const where = logWhere(log);
        const quote = m.lines[0] === undefined ? 'matching lines' : `'${m.lines[0]}'`;
        return `${where.charAt(0).toUpperCase()}${where.slice(1)} says ${quote} (${m.count > 1 ? `${m.count} matching lines; ` : ''}${m.signal} → risk ${m.risk}).`;
      }),
  );
  const unread = logs.filter((l) => !l.readable).map((l) => sentence(`${logWhere(l)}: ${l.read}`));
  return [...risky, ...unread];
}

function catalogRecord(catalog: Catalog): NonNullable<Diagnosis['catalog']> {
  return { digest: catalog.digest, files: catalog.files };
}

export function classify(evidence: Evidence, policy: PolicySnapshot, catalog: Catalog): Diagnosis {
  const riskFlags = baseRisk(evidence);
  const base = { policy, catalog: catalogRecord(catalog) };
  const riskReason = (flags: RiskFlag[]) => [...(flags.length ? [`Risk signals present: ${flags.join(', ')}.`] : []), ...logReasons(evidence)];

  if (evidence.instances.length === 0) {
    return {
      ...base,
      riskFlags,
      signatureId: 'service-absent',
      class: null,
      healthy: false,
      severity: 'medium',
      confidence: 0.2,
      reasons: [`PM2 runs no process named ${evidence.service}; it was deleted or never started, so a human decides.`, ...riskReason(riskFlags)],
      affectedPmIds: [],
      playbook: [],
    };
  }

  const view = serviceView(evidence, catalog.settings);
  const candidates = candidatesOf(catalog, evidence, view);
  const acting = candidates.filter((c) => c.signature.outcome === 'act');
  const verifying = candidates.filter((c) => c.signature.outcome === 'verify-only');

  const findings: Candidate[] = [];
  for (const i of evidence.instances) {
    const best = strongest(acting.filter((c) => c.instance?.pmId === i.pmId));
    if (best) findings.push(best);
    else if (!view.healthy.get(i.pmId)) findings.push(unrecognised(i));
  }
  const pool = [...findings, ...acting.filter((c) => c.instance === null)];
  const primary = strongest(pool) ?? strongest(verifying);

  if (!primary) return nothingToActOn(evidence, view, base, riskFlags);

  // Ambiguity: anything of another class that is part of the diagnosis, or matched well enough to be a real alternative.
  const floor = catalog.settings.competitorFloor;
  const rivals = [...pool, ...candidates.filter((c) => c.confidence >= floor - 1e-9)].filter(
    (c, n, all) => c.signature.class !== primary.signature.class && all.findIndex((o) => o.signature.id === c.signature.id && o.instance?.pmId === c.instance?.pmId) === n,
  );
  const penalty = rivals.length ? catalog.settings.ambiguityPenalty : 0;
  const confidence = round(Math.max(0, primary.confidence - penalty));

  const actOn = primary.signature.outcome === 'act';
  const affected = actOn ? [...new Set([...findings.map((f) => f.instance!.pmId), ...(primary.instance ? [] : alertPmIds(evidence))])] : [];
  const matched = findings.filter((f) => f.signature.id === primary.signature.id).map((f) => f.instance!.pmId);
  const outcome = { service: view, affected, matched };

  let severity: Severity = primary.signature.severity.base;
  const severityReasons: string[] = [];
  for (const rule of primary.signature.severity.raise) {
    const facts = rule.when.map((f) => outcomeFact(f, outcome));
    if (facts.every((f) => f.holds) && SEVERITY_RANK[rule.to] > SEVERITY_RANK[severity]) {
      severity = rule.to;
      severityReasons.push(`Severity raised to ${rule.to}${rule.because ? `: ${rule.because}` : ''} (${facts.map((f) => f.detail).join('; ')}).`);
    }
  }
  const total = Math.max(evidence.instances.length, evidence.expectedInstances);
  const scopeWords = primary.instance || affected.length ? `${affected.length} of ${total} instance(s) affected` : 'The service as a whole is affected';
  const severityLine = severityReasons.length ? severityReasons : [`${scopeWords}, so severity is ${severity}.`];

  let playbook: ActionName[] = actOn ? [...primary.signature.playbook] : [];
  let playbookLine = actOn
    ? playbook.length
      ? `Playbook: ${playbook.join(', then ')}.`
      : `Signature ${primary.signature.id} has no automatic action: a human decides.`
    : 'Nothing to act on: verify recovery and close.';
  if (actOn) {
    for (const rule of primary.signature.playbookRules) {
      if (rule.when.every((f) => outcomeFact(f, outcome).holds)) {
        playbook = [...rule.playbook];
        playbookLine = `Playbook: ${playbook.join(', then ')}${rule.because ? `, because ${rule.because}` : ''}.`;
        break;
      }
    }
  }

  const signatureRisk = [...new Set([...primary.signature.risk, ...rivals.flatMap((r) => r.signature.risk)])];
  const allRisk = [...new Set([...riskFlags, ...signatureRisk])];

  const sameElsewhere = findings.filter((f) => f !== primary && f.signature.id === primary.signature.id);
  const otherFindings = findings.filter((f) => f !== primary && f.signature.id !== primary.signature.id);
  const reasons = [
    `${where(primary, evidence)} matches signature ${primary.signature.id} (${primary.signature.class}): ${sentence(primary.signature.description)}`,
    ...primary.terms.map((t) => sentence(termText(t))),
    ...(sameElsewhere.length ? [`The same signature matches ${sameElsewhere.map((f) => `${label(f.instance!)} at ${f.confidence.toFixed(2)}`).join(', ')}.`] : []),
    ...otherFindings.map((f) => sentence(`${where(f, evidence)} matches ${f.signature.id} (${f.signature.class}) at ${f.confidence.toFixed(2)}: ${f.terms[0]?.text ?? f.signature.description}`)),
    ...(rivals.length
      ? [`Competing signature${rivals.length > 1 ? 's' : ''} of another class: ${rivals.map(describeCandidate).join('; ')} (−${penalty.toFixed(2)}): the evidence fits more than one class.`]
      : []),
    `Confidence ${confidence.toFixed(2)} (threshold ${policy.confidenceThreshold.toFixed(2)}).`,
    ...severityLine,
    playbookLine,
    ...(signatureRisk.length ? [`Signature ${[primary, ...rivals].filter((c) => c.signature.risk.length).map((c) => c.signature.id).join(', ')} implies risk: ${signatureRisk.join(', ')}.`] : []),
    ...riskReason(riskFlags),
  ];

  return {
    ...base,
    riskFlags: allRisk,
    signatureId: primary.signature.id,
    class: primary.signature.class,
    healthy: !actOn,
    severity,
    confidence,
    reasons,
    affectedPmIds: affected,
    playbook,
    competing: [...new Set(rivals.map((r) => r.signature.id))],
  };
}

/** No signature matched and no instance is failing: recovered, or a firing alert the evidence cannot explain. */
function nothingToActOn(evidence: Evidence, view: ServiceView, base: Pick<Diagnosis, 'policy' | 'catalog'>, riskFlags: RiskFlag[]): Diagnosis {
  const risk = [...(riskFlags.length ? [`Risk signals present: ${riskFlags.join(', ')}.`] : []), ...logReasons(evidence)];
  const unexplained = [...view.firingClasses.entries()].find(([cls]) => !INSTANCE_VISIBLE.has(cls));
  if (unexplained) {
    const [cls, names] = unexplained;
    return {
      ...base,
      riskFlags,
      signatureId: `detected-${cls}`,
      class: cls,
      healthy: false,
      severity: 'low',
      confidence: 0.5,
      reasons: [
        `Every instance answers its health check, but ${names.join(', ')} is still firing (${cls}).`,
        `No signature of the catalog matches the evidence for it, so a human decides.`,
        ...risk,
      ],
      affectedPmIds: [],
      playbook: [],
    };
  }
  return {
    ...base,
    riskFlags,
    signatureId: 'healthy',
    class: null,
    healthy: true,
    severity: 'low',
    confidence: 0.9,
    reasons: [`All ${evidence.instances.length} instance(s) are online and answer their health check, with no restarts while watched.`, ...risk],
    affectedPmIds: [],
    playbook: [],
  };
}
