// The fact vocabulary a signature is written in. Every fact is computed here, in code, from the Evidence
// that diagnosis collected; a catalog file only names facts and weighs them. Facts come in three kinds:
//   - instance facts: about one PM2 instance (its status, restarts, health probes, CPU, memory), usable
//     by signatures of scope "instance", which are evaluated once per instance;
//   - service facts: about the service as a whole (alerts, risk labels, tags, log signals, every instance
//     at once), usable by every signature;
//   - outcome facts: about what a diagnosis covers once matched (how many instances it affects), usable
//     only in severity and playbook rules.
// Each evaluation returns whether the fact holds and what was seen, in words, so every term of a
// confidence can be explained in the Web UI. Pure: no I/O, so classification replays identically.
import { classOfAlert } from '../alert-classes';
import { RISK_FLAGS, type RiskFlag } from '../../signals/alert';
import { INCIDENT_CLASSES, type Evidence, type IncidentClass, type InstanceEvidence, type InstanceSample, type LogEvidence, type LogSignalMatch } from '../types';

export interface FactValue {
  holds: boolean;
  /** What was observed, worded so it reads right whether the fact holds or not. */
  detail: string;
}

/** Numbers some facts compare against; a catalog file may set them (`settings`). */
export interface FactSettings {
  cpuBusyPercent: number;
  memoryHighMb: number;
}

/** Everything the service-level facts look at, computed once per classification. */
export interface ServiceView {
  evidence: Evidence;
  settings: FactSettings;
  firingNames: Set<string>;
  firingClasses: Map<IncidentClass, string[]>;
  seenNames: Set<string>;
  seenClasses: Map<IncidentClass, string[]>;
  risk: Set<RiskFlag>;
  /** Log signal name → where it matched (the log file and the match). */
  logMatches: Map<string, LogHit[]>;
  tags: Set<string>;
  healthy: Map<number, boolean>;
}

export interface InstanceView {
  instance: InstanceEvidence;
  service: ServiceView;
}

/** What a matched diagnosis covers, for severity and playbook rules. */
export interface OutcomeView {
  service: ServiceView;
  /** pm_ids the diagnosis acts on. */
  affected: number[];
  /** pm_ids on which the primary signature itself matched (instance scope). */
  matched: number[];
}

export interface LogHit {
  log: LogEvidence;
  match: LogSignalMatch;
}

interface FactDef<V> {
  /** One line for docs and error messages. */
  about: string;
  evaluate(view: V): FactValue;
}

// ---- helpers ----

function samplesWhere(i: InstanceEvidence, predicate: (s: InstanceSample) => boolean): number {
  return i.samples.filter(predicate).length;
}

function majority(i: InstanceEvidence, predicate: (s: InstanceSample) => boolean): boolean {
  return i.samples.length > 0 && samplesWhere(i, predicate) * 2 > i.samples.length;
}

function lastOf(i: InstanceEvidence): InstanceSample | undefined {
  return i.samples[i.samples.length - 1];
}

/** Healthy: online, last probe ok, most probes ok, no restart while diagnosis watched. */
export function instanceHealthy(i: InstanceEvidence): boolean {
  const last = lastOf(i);
  return !!last && i.restartsDuringDiagnosis === 0 && last.status === 'online' && last.health === 'ok' && majority(i, (s) => s.health === 'ok');
}

function statuses(i: InstanceEvidence): string {
  return [...new Set(i.samples.map((s) => s.status))].join('/') || 'none';
}

function healthTrail(i: InstanceEvidence): string {
  return i.samples.map((s) => s.health).join('/') || 'none';
}

const mb = (bytes: number) => Math.round(bytes / (1024 * 1024));

/**
 * PM2's own definition of a failed start-up (lib/God.js handleExit): an exit sooner than min_uptime after
 * a start is an unstable restart, and at max_restarts of them PM2 gives up (errored). PM2 counts them only
 * within min_uptime × max_restarts of the last start, manual restart or reload, never resets the count
 * after stable running, and zeroes it the moment it gives up — so the count alone can be stale, and the
 * give-up erases it: what diagnosis saw happen is what counts, and PM2's give-up itself when it came
 * within that one episode before diagnosis looked (PM2 marks a give-up apart from a stop that timed out).
 */
function failingToStart(i: InstanceEvidence): FactValue {
  // Evidence recorded before diagnosis tracked unstable restarts has no such field: none seen.
  const unstable = i.unstableRestartsDuringDiagnosis ?? 0;
  const last = lastOf(i);
  // A stop that timed out also ends in errored, but passes through "stopping" first.
  const gaveUp = last?.status === 'errored' && i.samples.slice(0, -1).some((s) => s.status !== 'errored' && s.status !== 'stopping');
  const answered = samplesWhere(i, (s) => s.health === 'ok');
  const waited = i.verdictWait ? `; waited ${(i.verdictWait.waitedMs / 1000).toFixed(1)} s for PM2's verdict on its start: ${i.verdictWait.ended}` : '';
  const seen = `PM2 ${statuses(i)}, health ${healthTrail(i)}${waited}`;
  if (answered > 0) {
    return { holds: false, detail: `answered its health check in ${answered} of ${i.samples.length} look(s), so it starts (${unstable} unstable restart(s) while watched, ${seen})` };
  }
  if (unstable > 0) {
    return { holds: true, detail: `PM2 counted ${unstable} unstable restart(s) (exits within min_uptime of a start) while watched and it never answered its health check (${seen})` };
  }
  if (gaveUp) {
    return { holds: true, detail: `PM2 gave up on it while watched (errored: too many exits within min_uptime of a start) and it never answered its health check (${seen})` };
  }
  const before = gaveUpBefore(i);
  if (before) return { holds: true, detail: `${before} (${seen})` };
  return { holds: false, detail: `no unstable restart while watched and PM2 did not give up on it while watched (${seen})` };
}

/**
 * PM2 had already given up on it when diagnosis looked, in the start-up episode that led here: its last start
 * was at most min_uptime × max_restarts before the look (PM2 counts unstable restarts only that long after a
 * start, so an older give-up belongs to an earlier episode). In words, or null.
 */
function gaveUpBefore(i: InstanceEvidence): string | null {
  const last = lastOf(i);
  if (last?.status !== 'errored' || !i.pm2GaveUp || !i.startLimits) return null;
  const { minUptimeMs, maxRestarts } = i.startLimits;
  const agoMs = i.pm2GaveUp.lastStartMsBeforeLook;
  if (agoMs > minUptimeMs * maxRestarts) return null;
  return (
    `PM2 had already given up on it when diagnosis looked (errored after ${maxRestarts} exits within ${(minUptimeMs / 1000).toFixed(1)} s of a start, ` +
    `its last start ${(agoMs / 1000).toFixed(1)} s before)`
  );
}

/** A health outcome seen in most looks while PM2 said online (a stopped process refusing is not a health-check failure). */
function healthFact(outcome: InstanceSample['health'], words: (i: InstanceEvidence) => string): FactDef<InstanceView> {
  return {
    about: `the health probe ended "${outcome}" in most looks while PM2 said online`,
    evaluate: ({ instance: i }) => {
      const hits = samplesWhere(i, (s) => s.status === 'online' && s.health === outcome);
      return { holds: majority(i, (s) => s.status === 'online' && s.health === outcome), detail: `${words(i)} in ${hits} of ${i.samples.length} probes while PM2 said online` };
    },
  };
}

/** "error log of instance 1", "error log of instances 0, 1" (one file PM2 merges). */
export function logWhere(log: LogEvidence): string {
  const kind = log.stream === 'err' ? 'error log' : 'output log';
  return `${kind} of instance${log.instances.length > 1 ? 's' : ''} ${log.instances.join(', ')}`;
}

/** `'the latest line' (n matching lines)`, the words a log fact and a risk reason quote. */
export function logQuote(match: LogSignalMatch): string {
  const line = match.lines[0];
  const said = line === undefined ? 'matching lines' : `'${line}'`;
  return match.count > 1 ? `${said} (${match.count} matching lines)` : said;
}

function logFact(s: ServiceView, name: string, pmId: number | null): FactValue {
  const hits = (s.logMatches.get(name) ?? []).filter((h) => pmId === null || h.log.pmIds.includes(pmId));
  if (hits.length) return { holds: true, detail: hits.map((h) => `${logWhere(h.log)} says ${logQuote(h.match)}`).join('; ') };
  const logs = (s.evidence.logs ?? []).filter((l) => pmId === null || l.pmIds.includes(pmId));
  if (logs.length === 0) return { holds: false, detail: `log signal ${name}: no log was looked at` };
  const unread = logs.filter((l) => !l.readable).length;
  return { holds: false, detail: `no recent log line matches log signal ${name}${unread ? ` (${unread} of ${logs.length} log(s) could not be read)` : ''}` };
}

// ---- instance facts ----

export const INSTANCE_FACTS: Record<string, FactDef<InstanceView>> = {
  'instance.healthy': {
    about: 'online, the last and most health probes ok, no restart while diagnosis watched',
    evaluate: ({ instance: i }) =>
      instanceHealthy(i)
        ? { holds: true, detail: 'online and answering its health check with no restart while watched' }
        : { holds: false, detail: `not healthy (PM2 ${statuses(i)}, health ${healthTrail(i)}, ${i.restartsDuringDiagnosis} restart(s) while watched)` },
  },
  'instance.failing': {
    about: 'the opposite of instance.healthy',
    evaluate: ({ instance: i }) =>
      instanceHealthy(i)
        ? { holds: false, detail: 'online and answering its health check with no restart while watched' }
        : { holds: true, detail: `not healthy (PM2 ${statuses(i)}, health ${healthTrail(i)}, ${i.restartsDuringDiagnosis} restart(s) while watched)` },
  },
  'instance.alerted': {
    about: "one of the incident's alerts names this instance, or the alerts name no instance at all (a service-wide alert concerns every instance)",
    evaluate: ({ instance: i, service }) => {
      const named = service.evidence.alerts.instances;
      if (named.length === 0) return { holds: true, detail: 'the alerts name no instance, so they concern every instance' };
      return named.includes(i.instance)
        ? { holds: true, detail: "named by the incident's alerts" }
        : { holds: false, detail: `not named by the incident's alerts (they name instance ${named.join(', ')})` };
    },
  },
  'instance.crash-reported': {
    about: 'a firing process-crash alert (e.g. ProcessExited, ProcessCrashLoop) names this instance: the sentinel saw it exit unasked',
    evaluate: ({ instance: i, service }) => {
      const crashAlerts = service.firingClasses.get('process-crash') ?? [];
      const holds = crashAlerts.length > 0 && service.evidence.alerts.instances.includes(i.instance);
      return { holds, detail: holds ? `the sentinel reported it exiting unasked (${crashAlerts.join(', ')})` : 'no crash of it reported by a firing alert' };
    },
  },
  'pm2.online': {
    about: 'PM2 status online in the last look',
    evaluate: ({ instance: i }) => ({ holds: lastOf(i)?.status === 'online', detail: `PM2 status ${lastOf(i)?.status ?? 'unknown'} in the last look` }),
  },
  'pm2.stopped': {
    about: 'PM2 status stopped in every look',
    evaluate: ({ instance: i }) => ({
      holds: i.samples.length > 0 && i.samples.every((s) => s.status === 'stopped'),
      detail: `PM2 status ${statuses(i)} across ${i.samples.length} look(s) (exit code ${i.exitCode ?? 'none'})`,
    }),
  },
  'pm2.errored': {
    about: 'PM2 status errored in the last look: PM2 gave up restarting it',
    evaluate: ({ instance: i }) =>
      lastOf(i)?.status === 'errored'
        ? { holds: true, detail: `PM2 gave up restarting it (status errored, exit code ${i.exitCode ?? 'unknown'})` }
        : { holds: false, detail: `PM2 status ${lastOf(i)?.status ?? 'unknown'}, not errored` },
  },
  'pm2.restarting': {
    about: 'PM2 restarted it at least once while diagnosis watched: it is dying right now',
    evaluate: ({ instance: i }) => ({
      holds: i.restartsDuringDiagnosis > 0,
      detail:
        i.restartsDuringDiagnosis > 0
          ? `restarted ${i.restartsDuringDiagnosis} time(s) while being watched (statuses ${statuses(i)}, exit code ${i.exitCode ?? 'unknown'})`
          : 'no restart while being watched',
    }),
  },
  'pm2.restarting-repeatedly': {
    about: 'PM2 restarted it twice or more while diagnosis watched',
    evaluate: ({ instance: i }) => ({ holds: i.restartsDuringDiagnosis > 1, detail: `${i.restartsDuringDiagnosis} restarts within the diagnosis window` }),
  },
  'pm2.unstable-restarts': {
    about: 'PM2 counts unstable restarts (exits sooner than min_uptime after a start)',
    evaluate: ({ instance: i }) => ({ holds: i.unstableRestarts > 0, detail: `${i.unstableRestarts} unstable restart(s) counted by PM2` }),
  },
  'pm2.failing-to-start': {
    about:
      'it fails to start: PM2 counted unstable restarts (exits sooner than min_uptime after a start) while diagnosis watched, or gave up on it (errored) while watched or within min_uptime × max_restarts before, and no look answered its health check',
    evaluate: ({ instance: i }) => failingToStart(i),
  },
  'pm2.exit-code-nonzero': {
    about: 'the last exit code PM2 recorded is not 0',
    evaluate: ({ instance: i }) => ({ holds: i.exitCode !== null && i.exitCode !== 0, detail: `last exit code ${i.exitCode ?? 'none'}` }),
  },
  'health.timeout': healthFact('timeout', () => 'health check timed out'),
  'health.unhealthy': healthFact('unhealthy', (i) => `health check answered HTTP ${lastOf(i)?.httpStatus ?? 'non-2xx'}`),
  'health.refused': healthFact('refused', (i) => `connection refused on ${i.healthUrl}`),
  'health.error': healthFact('error', () => 'health check gave a broken answer'),
  'cpu.busy': {
    about: 'CPU at or above settings.cpuBusyPercent in at least one look',
    evaluate: ({ instance: i, service }) => {
      const peak = Math.max(0, ...i.samples.map((s) => s.cpuPercent));
      return { holds: peak >= service.settings.cpuBusyPercent, detail: `CPU peaked at ${peak}% (busy at ${service.settings.cpuBusyPercent}% or more)` };
    },
  },
  'cpu.busy-throughout': {
    about: 'CPU at or above settings.cpuBusyPercent in every look',
    evaluate: ({ instance: i, service }) => {
      const low = Math.min(...i.samples.map((s) => s.cpuPercent));
      const holds = i.samples.length > 0 && low >= service.settings.cpuBusyPercent;
      return { holds, detail: `CPU never below ${i.samples.length ? low : 0}% across ${i.samples.length} look(s) (busy at ${service.settings.cpuBusyPercent}% or more)` };
    },
  },
  'memory.high': {
    about: 'resident memory at or above settings.memoryHighMb in the last look',
    evaluate: ({ instance: i, service }) => {
      const rss = mb(lastOf(i)?.memoryBytes ?? 0);
      return { holds: rss >= service.settings.memoryHighMb, detail: `RSS ${rss} MB (high at ${service.settings.memoryHighMb} MB or more)` };
    },
  },
  'memory.growing': {
    about: 'resident memory rose at every look (needs 3 looks or more)',
    evaluate: ({ instance: i }) => {
      const rss = i.samples.map((s) => s.memoryBytes);
      const holds = rss.length >= 3 && rss.every((m, n) => n === 0 || m > rss[n - 1]!);
      return { holds, detail: `RSS ${rss.map(mb).join(' → ')} MB across the looks` };
    },
  },
};

// ---- service facts ----

export const SERVICE_FACTS: Record<string, FactDef<ServiceView>> = {
  'instances.all-healthy': {
    about: 'every instance PM2 runs is healthy (see instance.healthy)',
    evaluate: (s) => {
      const n = s.evidence.instances.length;
      const ok = [...s.healthy.values()].filter(Boolean).length;
      return { holds: n > 0 && ok === n, detail: `${ok} of ${n} instance(s) online and answering their health check with no restart while watched` };
    },
  },
  'instances.all-failing': {
    about: 'every instance PM2 runs is failing (see instance.failing)',
    evaluate: (s) => {
      const n = s.evidence.instances.length;
      const bad = [...s.healthy.values()].filter((h) => !h).length;
      return { holds: n > 0 && bad === n, detail: `${bad} of ${n} instance(s) failing` };
    },
  },
  'instances.missing': {
    about: 'PM2 runs fewer instances than the service is configured for',
    evaluate: (s) => ({
      holds: s.evidence.instances.length < s.evidence.expectedInstances,
      detail: `PM2 runs ${s.evidence.instances.length} of ${s.evidence.expectedInstances} configured instance(s)`,
    }),
  },
  'instances.cluster': {
    about: 'every instance runs in PM2 cluster mode (a rolling reload is possible)',
    evaluate: (s) => {
      const holds = s.evidence.instances.length > 0 && s.evidence.instances.every((i) => i.execMode === 'cluster');
      return { holds, detail: holds ? 'every instance runs in cluster mode' : 'not every instance runs in cluster mode' };
    },
  },
  'deploy.recent': {
    about: 'the last entry of the deploy registry is a deploy (not a rollback) made shortly before diagnosis (the deploy detector\'s windowMs, at most actions.deploy.maxDeployAgeMs)',
    evaluate: (s) => {
      const d = s.evidence.lastDeploy;
      if (!d) return { holds: false, detail: 'no deploy of the service is recorded (or it is not deployed through releases)' };
      const ageMs = Date.parse(s.evidence.collectedAt) - Date.parse(d.at);
      const ago = `${Math.round(ageMs / 1000)} s before diagnosis`;
      if (d.kind !== 'deploy') return { holds: false, detail: `the last registry entry is a ${d.kind} to ${d.version} by ${d.by}, ${ago}, not a deploy` };
      const holds = ageMs >= 0 && ageMs <= d.recentWithinMs;
      return { holds, detail: `release ${d.version} was deployed by ${d.by} ${ago} (recent within ${Math.round(d.recentWithinMs / 1000)} s)` };
    },
  },
  'alerts.name-instances': {
    about: "the incident's alerts name at least one instance",
    evaluate: (s) => {
      const named = s.evidence.alerts.instances;
      return { holds: named.length > 0, detail: named.length ? `the alerts name instance ${named.join(', ')}` : 'the alerts name no instance' };
    },
  },
};

/** Facts with a parameter after the colon: `alert:<AlertName>`, `alert-class:<class>`, `log:<signal>`, `risk:<flag>`, `tag:<tag>`. */
export const PARAMETRIC_FACTS = {
  alert: {
    about: 'an alert with exactly this name (e.g. your own Alertmanager alertname) is firing',
    param: 'AlertName',
    check: (p: string) => (p.length > 0 ? null : 'needs an alert name after "alert:"'),
    evaluate: (s: ServiceView, p: string): FactValue => ({ holds: s.firingNames.has(p), detail: `alert ${p} ${s.firingNames.has(p) ? 'is firing' : 'is not firing'}` }),
  },
  'alert-seen': {
    about: 'an alert with this name was received in this incident, firing or since resolved',
    param: 'AlertName',
    check: (p: string) => (p.length > 0 ? null : 'needs an alert name after "alert-seen:"'),
    evaluate: (s: ServiceView, p: string): FactValue => ({ holds: s.seenNames.has(p), detail: `alert ${p} ${s.seenNames.has(p) ? 'was received' : 'was not received'}` }),
  },
  'alert-class': {
    about: 'a firing alert names this incident class (a `class` label, or a detector alert name from policy/alert-classes.ts)',
    param: 'class',
    check: (p: string) => ((INCIDENT_CLASSES as readonly string[]).includes(p) ? null : `"${p}" is not an incident class (one of ${INCIDENT_CLASSES.join(', ')})`),
    evaluate: (s: ServiceView, p: string): FactValue => {
      const names = s.firingClasses.get(p as IncidentClass) ?? [];
      return { holds: names.length > 0, detail: names.length ? `firing alert ${names.join(', ')} names class ${p}` : `no firing alert names class ${p}` };
    },
  },
  'alert-class-seen': {
    about: 'an alert of this class was received in this incident, firing or since resolved (resolved alerts are classed by their detector name)',
    param: 'class',
    check: (p: string) => ((INCIDENT_CLASSES as readonly string[]).includes(p) ? null : `"${p}" is not an incident class (one of ${INCIDENT_CLASSES.join(', ')})`),
    evaluate: (s: ServiceView, p: string): FactValue => {
      const names = s.seenClasses.get(p as IncidentClass) ?? [];
      return { holds: names.length > 0, detail: names.length ? `alert ${names.join(', ')} (class ${p}) was received` : `no alert of class ${p} was received` };
    },
  },
  log: {
    about:
      'a log signal of the catalog (settings.logSignals) matched recent lines of a PM2 log of the service; in an instance signature, of a log this instance writes',
    param: 'log signal',
    check: (p: string) => (/^[a-z0-9][a-z0-9-]{0,62}$/.test(p) ? null : `"${p}" is not a log signal name (lowercase letters, digits, "-")`),
    evaluate: (s: ServiceView, p: string): FactValue => logFact(s, p, null),
  },
  risk: {
    about: `a risk signal is present (${RISK_FLAGS.join(', ')}): an alert carried it (\`risk\` label), the service is tagged with it, or a log signal carrying it matched`,
    param: 'risk flag',
    check: (p: string) => ((RISK_FLAGS as readonly string[]).includes(p) ? null : `"${p}" is not a risk flag (one of ${RISK_FLAGS.join(', ')})`),
    evaluate: (s: ServiceView, p: string): FactValue => ({ holds: s.risk.has(p as RiskFlag), detail: `risk ${p} ${s.risk.has(p as RiskFlag) ? 'is signalled' : 'is not signalled'}` }),
  },
  tag: {
    about: 'the service is configured with this tag (services[].tags)',
    param: 'tag',
    check: (p: string) => (p.length > 0 ? null : 'needs a tag after "tag:"'),
    evaluate: (s: ServiceView, p: string): FactValue => ({ holds: s.tags.has(p), detail: `service ${s.tags.has(p) ? 'is' : 'is not'} tagged ${p}` }),
  },
} as const;

// ---- outcome facts ----

export const OUTCOME_FACTS: Record<string, FactDef<OutcomeView>> = {
  'affected.all': {
    about: 'the diagnosis affects every instance (at least as many as configured)',
    evaluate: ({ service, affected }) => {
      const total = Math.max(service.evidence.instances.length, service.evidence.expectedInstances);
      return { holds: affected.length > 0 && affected.length >= total, detail: `${affected.length} of ${total} instance(s) affected` };
    },
  },
  'affected.majority': {
    about: 'the diagnosis affects more than half of the configured instances',
    evaluate: ({ service, affected }) => {
      const total = Math.max(service.evidence.instances.length, service.evidence.expectedInstances);
      return { holds: affected.length * 2 > total, detail: `${affected.length} of ${total} instance(s) affected` };
    },
  },
  'matched.all': {
    about: 'the signature itself matched on every instance (instance scope only)',
    evaluate: ({ service, matched }) => {
      const total = Math.max(service.evidence.instances.length, service.evidence.expectedInstances);
      return { holds: matched.length > 0 && matched.length >= total, detail: `the signature matched ${matched.length} of ${total} instance(s)` };
    },
  },
};

// ---- vocabulary checks (used by the catalog schema) ----

export type FactPlace = 'instance-evidence' | 'service-evidence' | 'rule';

function splitParametric(name: string): [keyof typeof PARAMETRIC_FACTS, string] | null {
  const colon = name.indexOf(':');
  if (colon < 0) return null;
  const kind = name.slice(0, colon);
  return kind in PARAMETRIC_FACTS ? [kind as keyof typeof PARAMETRIC_FACTS, name.slice(colon + 1)] : null;
}

export function knownFactNames(place: FactPlace): string[] {
  const parametric = Object.keys(PARAMETRIC_FACTS).map((k) => `${k}:<${PARAMETRIC_FACTS[k as keyof typeof PARAMETRIC_FACTS].param}>`);
  const service = [...Object.keys(SERVICE_FACTS), ...parametric];
  if (place === 'instance-evidence') return [...Object.keys(INSTANCE_FACTS), ...service];
  if (place === 'service-evidence') return service;
  return [...Object.keys(OUTCOME_FACTS), ...service];
}

/** Why `name` cannot be used at `place`, or null when it can. */
export function factProblem(name: string, place: FactPlace): string | null {
  const parametric = splitParametric(name);
  if (parametric) return PARAMETRIC_FACTS[parametric[0]].check(parametric[1]);
  if (name in SERVICE_FACTS) return null;
  if (name in INSTANCE_FACTS) {
    if (place === 'instance-evidence') return null;
    return place === 'rule'
      ? `instance fact "${name}" cannot be used in a rule (rules see the whole diagnosis; use a service or outcome fact)`
      : `instance fact "${name}" needs scope "instance"`;
  }
  if (name in OUTCOME_FACTS) {
    return place === 'rule' ? null : `outcome fact "${name}" is known only after matching; use it in severity.raise or playbookRules`;
  }
  return `unknown fact "${name}" (known: ${knownFactNames(place).join(', ')})`;
}

// ---- evaluation ----

export function serviceView(evidence: Evidence, settings: FactSettings): ServiceView {
  const firingNames = new Set<string>();
  const firingClasses = new Map<IncidentClass, string[]>();
  const seenClasses = new Map<IncidentClass, string[]>();
  const add = (map: Map<IncidentClass, string[]>, cls: IncidentClass, name: string) => {
    const names = map.get(cls) ?? [];
    if (!names.includes(name)) names.push(name);
    map.set(cls, names);
  };
  for (const a of evidence.alerts.firing) {
    firingNames.add(a.name);
    if (a.class) {
      add(firingClasses, a.class, a.name);
      add(seenClasses, a.class, a.name);
    }
  }
  for (const name of evidence.alerts.names) {
    const cls = classOfAlert(name);
    if (cls) add(seenClasses, cls, name);
  }
  const tags = new Set(evidence.serviceTags);
  const logMatches = new Map<string, LogHit[]>();
  for (const log of evidence.logs ?? []) {
    for (const match of log.matches) logMatches.set(match.signal, [...(logMatches.get(match.signal) ?? []), { log, match }]);
  }
  const risk = new Set<RiskFlag>([
    ...evidence.alerts.risk,
    ...evidence.serviceTags.filter((t): t is RiskFlag => (RISK_FLAGS as readonly string[]).includes(t)),
    ...[...logMatches.values()].flat().flatMap((h) => (h.match.risk ? [h.match.risk] : [])),
  ]);
  return {
    evidence,
    settings,
    firingNames,
    firingClasses,
    seenNames: new Set(evidence.alerts.names),
    seenClasses,
    risk,
    logMatches,
    tags,
    healthy: new Map(evidence.instances.map((i) => [i.pmId, instanceHealthy(i)])),
  };
}

export function serviceFact(name: string, view: ServiceView): FactValue {
  const parametric = splitParametric(name);
  if (parametric) return PARAMETRIC_FACTS[parametric[0]].evaluate(view, parametric[1]);
  const def = SERVICE_FACTS[name];
  if (!def) throw new Error(`not a service fact: ${name}`);
  return def.evaluate(view);
}

export function instanceFact(name: string, view: InstanceView): FactValue {
  // A log fact in an instance signature is about the logs this instance writes.
  if (name.startsWith('log:')) return logFact(view.service, name.slice(4), view.instance.pmId);
  const def = INSTANCE_FACTS[name];
  return def ? def.evaluate(view) : serviceFact(name, view.service);
}

export function outcomeFact(name: string, view: OutcomeView): FactValue {
  const def = OUTCOME_FACTS[name];
  return def ? def.evaluate(view) : serviceFact(name, view.service);
}

/** Every fact with its one-line meaning, for docs and `knownFactNames`. */
export function factReference(): Array<{ fact: string; kind: 'instance' | 'service' | 'outcome'; about: string }> {
  return [
    ...Object.entries(INSTANCE_FACTS).map(([fact, d]) => ({ fact, kind: 'instance' as const, about: d.about })),
    ...Object.entries(SERVICE_FACTS).map(([fact, d]) => ({ fact, kind: 'service' as const, about: d.about })),
    ...Object.entries(PARAMETRIC_FACTS).map(([k, d]) => ({ fact: `${k}:<${d.param}>`, kind: 'service' as const, about: d.about })),
    ...Object.entries(OUTCOME_FACTS).map(([fact, d]) => ({ fact, kind: 'outcome' as const, about: d.about })),
  ];
}
