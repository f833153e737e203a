// Builds a human signal's payload from the command line and checks it against the same zod schema the
// workflow applies, so a bad payload is refused here (exit 2, field named) instead of being recorded
// and ignored by the incident.
import { formatZodError } from '../config/load';
import { humanSignalPayload, type HumanSignalName, type ResolvePayload } from '../signals/human';
import { CliError } from './errors';

export interface SignalOptions {
  operator?: string;
  reason?: string;
  rootCause?: string;
  fix?: string;
  /** resolve: the class it really was and the approved action that fixed it (for the drafted signature). */
  class?: string;
  action?: string;
}

/** Who is acting: --operator, else ZT_OPERATOR, else the login name. An explicit "" is kept (and refused). */
export function operatorFrom(opts: SignalOptions, env: NodeJS.ProcessEnv): string | undefined {
  return opts.operator ?? env.ZT_OPERATOR ?? env.USER;
}

export function signalPayload(signal: HumanSignalName, opts: SignalOptions, env: NodeJS.ProcessEnv = process.env): ResolvePayload {
  const raw: Record<string, string | undefined> = { operator: operatorFrom(opts, env), reason: opts.reason };
  if (signal === 'resolve') Object.assign(raw, { rootCause: opts.rootCause, fix: opts.fix, class: opts.class, action: opts.action });
  const defined = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined));
  const parsed = humanSignalPayload(signal).safeParse(defined);
  if (!parsed.success) {
    const aboutOperator = parsed.error.issues.some((issue) => issue.path[0] === 'operator');
    const hint = aboutOperator ? ' (pass --operator NAME or set ZT_OPERATOR)' : '';
    throw new CliError(`invalid ${signal} payload: ${formatZodError(parsed.error)}${hint}`);
  }
  return parsed.data;
}
