// `zt mode`, `zt maintenance start|end`, `zt breaker reset`, `zt limits [set|clear]` and `zt governor`:
// steering and reading the governor that bounds all automation. A change is validated here with the governor's own schema, sent
// as a signal (recorded in the governor's history even before a worker picks it up), and then confirmed
// from the governor's audit, so the operator sees what the governor did with it.
import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { WorkflowNotFoundError, type Client, type Connection, type WorkflowHandle } from '@temporalio/client';
import { formatZodError } from '../config/load';
import type { Config } from '../config/schema';
import { findService, UnknownServiceError } from '../config/services';
import {
  GOVERNOR_MODES,
  governorSignalPayloads,
  governorStateQuery,
  governorWorkflowId,
  type AuditEntry,
  type GovernorSignalName,
  type GovernorSignalPayloads,
  type GovernorView,
  type ServiceGovernance,
} from '../signals/governor';
import { governorHandle, signalGovernor } from '../signals/governor-client';
import { loadCliConfig } from './config';
import { parseDuration } from './duration';
import { CliError, EXIT_FAILURE } from './errors';
import { governorText, limitsTable, modeText, serviceLimitsText } from './governor-text';
import { note, printJson, printText } from './output';
import { operatorFrom } from './payload';
import { QUERY_TIMEOUT_MS, withTemporal } from './temporal';

interface ChangeOptions {
  operator?: string;
  reason?: string;
  json?: boolean;
}

/** The audit kinds that answer each signal (besides `rejected`). */
const ANSWERED_BY: Record<GovernorSignalName, AuditEntry['kind']> = {
  setMode: 'mode',
  startMaintenance: 'maintenance-start',
  endMaintenance: 'maintenance-end',
  resetBreaker: 'breaker-reset',
  setLimits: 'limits-set',
  clearLimits: 'limits-clear',
};

const OPERATOR_HELP = 'who is acting (default: $ZT_OPERATOR, then $USER)';

export function registerGovernorCommands(program: Command): void {
  program
    .command('mode')
    .description('show the automation mode, or set it: auto (act), observe (plan only, no action), frozen (escalate everything)')
    .addArgument(new Argument('[mode]', 'the new mode').choices(GOVERNOR_MODES))
    .option('--operator <name>', OPERATOR_HELP)
    .option('--reason <text>', "why, recorded in the governor's history")
    .option('--json', 'print the mode; when setting, {workflowId, signal, payload, applied, audit}')
    .action(async (mode: string | undefined, opts: ChangeOptions) => {
      const config = loadCliConfig();
      if (mode === undefined) {
        const view = await withTemporal(config, ({ client, connection }) => readState(client, connection, config));
        return opts.json ? printJson(view.mode) : printText(`mode ${modeText(view.mode)}`);
      }
      await change(config, 'setMode', { mode, ...common(opts) }, opts.json);
    });

  const maintenance = program.command('maintenance').description('runtime maintenance of a service: automation only observes it');
  maintenance
    .command('start')
    .description('put a service in maintenance for a while: its incidents record their plan and take no action')
    .argument('<service>', 'a configured service')
    .addOption(new Option('--for <duration>', 'how long, e.g. 30m, 2h, 1h30m (at most 7d)').argParser(parseDuration).conflicts('until'))
    .option('--until <iso-time>', 'when it ends, e.g. 2026-01-05T12:00:00Z')
    .requiredOption('--reason <text>', "why, recorded in the governor's history")
    .option('--operator <name>', OPERATOR_HELP)
    .option('--json', 'print {workflowId, signal, payload, applied, audit}')
    .action(async (service: string, opts: ChangeOptions & { for?: number; until?: string }) => {
      const config = loadCliConfig();
      knownService(config, service);
      if (opts.for === undefined && opts.until === undefined) throw new CliError('say how long: --for <duration> or --until <iso-time>');
      const end = opts.for !== undefined ? { durationMs: opts.for } : { untilIso: opts.until };
      await change(config, 'startMaintenance', { service, ...end, ...common(opts) }, opts.json);
    });
  maintenance
    .command('end')
    .description("end a service's runtime maintenance (weekly windows from config stay)")
    .argument('<service>', 'a configured service')
    .option('--reason <text>', "why, recorded in the governor's history")
    .option('--operator <name>', OPERATOR_HELP)
    .option('--json', 'print {workflowId, signal, payload, applied, audit}')
    .action(async (service: string, opts: ChangeOptions) => {
      const config = loadCliConfig();
      knownService(config, service);
      await change(config, 'endMaintenance', { service, ...common(opts) }, opts.json);
    });

  const breaker = program.command('breaker').description('the circuit breaker of services remediated again and again');
  breaker
    .command('reset')
    .description('close the breaker of a service (and forget its remediation count): automation may act on it again')
    .argument('<service>', 'a configured service')
    .option('--reason <text>', "why, recorded in the governor's history")
    .option('--operator <name>', OPERATOR_HELP)
    .option('--json', 'print {workflowId, signal, payload, applied, audit}')
    .action(async (service: string, opts: ChangeOptions) => {
      const config = loadCliConfig();
      knownService(config, service);
      await change(config, 'resetBreaker', { service, ...common(opts) }, opts.json);
    });

  const limits = program
    .command('limits')
    .description("show a service's limits in force and where each comes from (runtime > config > default); `set` and `clear` switch runtime limits")
    .argument('[service]', 'a configured service (default: every service)')
    .option('--json', 'print {service, actionsPerHour, maxInstanceShare, breaker: {maxRemediations, windowMs}}, each {value, source, config, runtime?} (a list without <service>)')
    .action(async (service: string | undefined, opts: { json?: boolean }) => {
      const config = loadCliConfig();
      if (service !== undefined) knownService(config, service);
      const view = await withTemporal(config, ({ client, connection }) => readState(client, connection, config));
      const shown = view.services.filter((s) => service === undefined || s.service === service);
      if (opts.json) return printJson(service === undefined ? shown.map(limitsJson) : limitsJson(shown[0] ?? missing(service!)));
      printText(service === undefined ? limitsTable(shown) : serviceLimitsText(shown[0] ?? missing(service!)));
    });
  limits
    .command('set')
    .description('set runtime limits of a service: they win over config until `zt limits clear`; limits not named keep their value')
    .argument('<service>', 'a configured service')
    .option('--actions-per-hour <n>', 'granted permits per hour (0-10000; 0: never act)', parseCount)
    .option('--max-instance-share <x>', 'largest share of the instances out at once (0 < x <= 1, or a percentage like 50%)', parseShare)
    .option('--breaker-max <n>', 'verified remediations within the breaker window that open the breaker (1-100)', parseCount)
    .option('--breaker-window <duration>', 'the breaker window, e.g. 30m, 1h, 2d (1s-7d)', parseDuration)
    .requiredOption('--reason <text>', "why, recorded in the governor's history")
    .option('--operator <name>', OPERATOR_HELP)
    .option('--json', 'print {workflowId, signal, payload, applied, audit}')
    .action(async (service: string, opts: ChangeOptions & LimitOptions, command: Command) => {
      const config = loadCliConfig();
      knownService(config, service);
      await change(config, 'setLimits', { service, ...limitFields(opts), ...common(opts) }, wantsJson(command));
    });
  limits
    .command('clear')
    .description("drop a service's runtime limits: config applies again")
    .argument('<service>', 'a configured service')
    .option('--reason <text>', "why, recorded in the governor's history")
    .option('--operator <name>', OPERATOR_HELP)
    .option('--json', 'print {workflowId, signal, payload, applied, audit}')
    .action(async (service: string, opts: ChangeOptions, command: Command) => {
      const config = loadCliConfig();
      await clearableService(config, service);
      await change(config, 'clearLimits', { service, ...common(opts) }, wantsJson(command));
    });

  program
    .command('governor')
    .description('show the governor: mode, maintenance, budget used per service, leases, breakers, recent changes')
    .option('--json', 'print the governorState query: {asOf, mode, operators, settings, services, audit, decisions, generation}')
    .action(async (opts: { json?: boolean }) => {
      const config = loadCliConfig();
      const view = await withTemporal(config, ({ client, connection }) => readState(client, connection, config));
      if (opts.json) return printJson(view);
      printText(governorText(view));
    });
}

interface LimitOptions {
  actionsPerHour?: number;
  maxInstanceShare?: number;
  breakerMax?: number;
  breakerWindow?: number;
}

/** The setLimits fields from `zt limits set` flags (undefined ones are dropped by governorPayload). */
export function limitFields(opts: LimitOptions): Record<string, unknown> {
  const breaker = {
    ...(opts.breakerMax !== undefined ? { maxRemediations: opts.breakerMax } : {}),
    ...(opts.breakerWindow !== undefined ? { windowMs: opts.breakerWindow } : {}),
  };
  return { actionsPerHour: opts.actionsPerHour, maxInstanceShare: opts.maxInstanceShare, breaker: Object.keys(breaker).length ? breaker : undefined };
}

/** A whole number as typed: "6"; the governor's schema checks the range. */
export function parseCount(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError(`"${text}" is not a whole number`);
  return Number(text.trim());
}

/** A share of the instances: "0.5" or "50%"; the governor's schema checks 0 < x <= 1. */
export function parseShare(text: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(%?)$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`"${text}" is not a share: use e.g. 0.5 or 50%`);
  return m[2] ? Number(m[1]) / 100 : Number(m[1]);
}

/** `--json` given to the subcommand, or to `zt limits` before it (commander hands it to the parent). */
function wantsJson(command: Command): boolean {
  return Boolean(command.optsWithGlobals<{ json?: boolean }>().json);
}

function limitsJson(s: ServiceGovernance): { service: string } & ServiceGovernance['limits'] {
  return { service: s.service, ...s.limits };
}

function missing(service: string): never {
  throw new CliError(`the governor has no limits for ${service}`);
}

function common(opts: ChangeOptions): Record<string, string | undefined> {
  return { operator: operatorFrom(opts, process.env), reason: opts.reason };
}

function knownService(config: Config, service: string): void {
  try {
    findService(config, service);
  } catch (err) {
    if (err instanceof UnknownServiceError) throw new CliError(err.message);
    throw err;
  }
}

/** A configured service, or one that has left the config but still has runtime limits in the governor. */
async function clearableService(config: Config, service: string): Promise<void> {
  try {
    knownService(config, service);
  } catch (err) {
    const view = await withTemporal(config, ({ client, connection }) => readState(client, connection, config)).catch(() => null);
    const limits = view?.services.find((s) => s.service === service)?.limits;
    const runtime = limits && [limits.actionsPerHour, limits.maxInstanceShare, limits.breaker.maxRemediations, limits.breaker.windowMs].some((l) => l.source === 'runtime');
    if (!runtime) throw err;
  }
}

/** Builds an operator change from flags and checks it with the governor's schema: refused here, not ignored there. */
export function governorPayload<S extends GovernorSignalName>(signal: S, fields: Record<string, unknown>): GovernorSignalPayloads[S] {
  const defined = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  const parsed = governorSignalPayloads[signal].safeParse(defined);
  if (!parsed.success) {
    const aboutOperator = parsed.error.issues.some((issue) => issue.path[0] === 'operator');
    const hint = aboutOperator ? ' (pass --operator NAME or set ZT_OPERATOR)' : '';
    throw new CliError(`invalid ${signal} payload: ${formatZodError(parsed.error)}${hint}`);
  }
  return parsed.data;
}

async function change(config: Config, signal: GovernorSignalName, fields: Record<string, unknown>, json?: boolean): Promise<void> {
  const payload = governorPayload(signal, fields);
  const workflowId = governorWorkflowId(config.temporal.taskQueue);
  const entry = await withTemporal(config, async ({ client, connection }) => {
    const handle = governorHandle(client, config);
    const before = await lastAuditSeq(handle, connection);
    await signalGovernor(client, config, signal, payload);
    return awaitAnswer(handle, connection, before, signal, payload.operator);
  });
  if (!entry) {
    throw new CliError(
      `sent ${signal} to ${workflowId}, but the governor did not confirm it within ${QUERY_TIMEOUT_MS / 1000} s ` +
        `(is a worker polling task queue ${config.temporal.taskQueue}?). It is in the governor's history and applies when a worker runs it.`,
      EXIT_FAILURE,
    );
  }
  if (!entry.applied && entry.kind === 'rejected') throw new CliError(`the governor recorded and ignored ${signal}: ${entry.summary}`);
  if (json) return printJson({ workflowId, signal, payload, applied: entry.applied, audit: entry });
  if (!entry.applied) note(`nothing changed: ${entry.summary}`);
  else printText(entry.summary);
}

/**
 * The newest audit seq before the change; 0 when no governor runs (the signal starts one, whose entries
 * are all new); null when the running one does not answer (no worker).
 */
async function lastAuditSeq(handle: WorkflowHandle, connection: Connection): Promise<number | null> {
  try {
    if ((await handle.describe()).status.name !== 'RUNNING') return 0;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 0;
    throw err;
  }
  try {
    const view = await connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(governorStateQuery));
    return view.audit.at(-1)?.seq ?? 0;
  } catch {
    return null;
  }
}

/** Polls the audit until the governor has answered this operator's change (applied or ignored). */
async function awaitAnswer(handle: WorkflowHandle, connection: Connection, before: number | null, signal: GovernorSignalName, operator: string): Promise<AuditEntry | undefined> {
  if (before === null) return undefined;
  const deadline = Date.now() + QUERY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const view = await connection.withDeadline(deadline, () => handle.query(governorStateQuery));
      const answer = view.audit.find((e) => e.seq > before && e.actor === operator && (e.kind === ANSWERED_BY[signal] || e.kind === 'rejected'));
      if (answer) return answer;
    } catch {
      // A governor started by this very signal may not answer its first query yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return undefined;
}

async function readState(client: Client, connection: Connection, config: Config): Promise<GovernorView> {
  const handle = governorHandle(client, config);
  try {
    return await connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(governorStateQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new CliError(`no governor runs for task queue ${config.temporal.taskQueue}: a worker starts it (\`npm start\` or \`npm run worker\`)`);
    }
    throw new CliError(
      `${handle.workflowId} did not answer its governorState query within ${QUERY_TIMEOUT_MS / 1000} s ` +
        `(is a worker polling task queue ${config.temporal.taskQueue}?): ${(err as Error).message}`,
      EXIT_FAILURE,
    );
  }
}
