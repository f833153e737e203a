// The signature catalog's file format. A catalog file is data a user writes without touching code, so
// everything it may say is checked here: the class, the facts (against the vocabulary in facts.ts, and
// for the scope they are used in), the actions (policy/actions.ts), the risk flags. docs/catalog.md
// describes the same format for humans; keep the two in step.
import { z } from 'zod';
import { ACTION_NAMES } from '../actions';
import { INCIDENT_CLASSES } from '../types';
import { RISK_FLAGS } from '../../signals/alert';
import { factProblem, type FactPlace } from './facts';
import { LOG_TAIL_LINES } from '../log-signals';

const severitySchema = z.enum(['low', 'medium', 'high']);

function factName(place: FactPlace) {
  return z.string().superRefine((name, ctx) => {
    const problem = factProblem(name, place);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

const ruleFacts = z.array(factName('rule')).min(1, 'must name at least one fact');

const evidenceItemSchema = z
  .object({
    /** Checked against the vocabulary for the signature's scope (see the signature's refinement). */
    fact: z.string().min(1),
    /**
     * How sure this fact alone would make you of the signature, in [0, 1]; negative (down to -1) for
     * counter-evidence that lowers the confidence when it holds. Guards (required, no weight) use 0.
     */
    weight: z.number().min(-1).max(1).default(0),
    /** "specific": this fact tells this signature apart from others; a signature needs one to match. */
    specificity: z.enum(['specific', 'supporting']).default('supporting'),
    /** The signature matches only if this item holds. */
    required: z.boolean().default(false),
    /** The item holds when the fact does NOT hold (a guard such as "not restarting"). */
    absent: z.boolean().default(false),
  })
  .strict()
  .superRefine((item, ctx) => {
    if (item.specificity === 'specific' && item.weight <= 0) {
      ctx.addIssue({ code: 'custom', path: ['weight'], message: 'a specific item needs a positive weight' });
    }
    if (item.required && item.weight < 0) {
      ctx.addIssue({ code: 'custom', path: ['weight'], message: 'a required item cannot be counter-evidence (negative weight)' });
    }
  });

export const signatureSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lowercase letters, digits or "-"'),
    class: z.enum(INCIDENT_CLASSES),
    description: z.string().min(10, 'say in a sentence what this signature recognises'),
    scope: z.enum(['instance', 'service']),
    evidence: z.array(evidenceItemSchema).min(1, 'must list at least one fact'),
    confidence: z
      .object({
        /** The highest confidence this signature may reach, whatever matched. */
        max: z.number().min(0).max(1).default(1),
        /** Why it is capped, shown in the reasons when the cap bites. */
        maxReason: z.string().min(5).optional(),
      })
      .strict()
      .prefault({}),
    severity: z
      .object({
        base: severitySchema,
        /** Rules that raise the severity (never lower it) when all their facts hold. */
        raise: z.array(z.object({ when: ruleFacts, to: severitySchema, because: z.string().min(5).optional() }).strict()).default([]),
      })
      .strict(),
    /** Risk flags this signature implies by its nature (e.g. data-consistency); any flag escalates. */
    risk: z.array(z.enum(RISK_FLAGS)).default([]),
    /** "act": run the playbook; "verify-only": nothing to do but verify (recovered, or transient outside our processes). */
    outcome: z.enum(['act', 'verify-only']).default('act'),
    /** Ordered actions: the first runs, each failed attempt moves to the next, the last repeats. */
    playbook: z.array(z.enum(ACTION_NAMES)).default([]),
    /** The first rule whose facts all hold replaces the playbook. */
    playbookRules: z
      .array(z.object({ when: ruleFacts, playbook: z.array(z.enum(ACTION_NAMES)).min(1), because: z.string().min(5).optional() }).strict())
      .default([]),
  })
  .strict()
  .superRefine((sig, ctx) => {
    for (const issue of evidenceFactIssues(sig)) ctx.addIssue({ code: 'custom', ...issue });
    if (!sig.evidence.some((e) => e.specificity === 'specific')) {
      ctx.addIssue({ code: 'custom', path: ['evidence'], message: 'needs at least one "specific" item: supporting facts alone never make a diagnosis' });
    }
    if (sig.outcome === 'verify-only' && (sig.playbook.length > 0 || sig.playbookRules.length > 0)) {
      ctx.addIssue({ code: 'custom', path: ['playbook'], message: 'a verify-only signature takes no action, so it has no playbook' });
    }
  });

/**
 * Evidence facts checked against the vocabulary for the signature's scope. Also run on a signature that
 * failed validation elsewhere (zod skips refinements then), so one pass reports every problem.
 */
export function evidenceFactIssues(raw: unknown): Array<{ path: Array<string | number>; message: string }> {
  if (!raw || typeof raw !== 'object') return [];
  const { scope, evidence } = raw as { scope?: unknown; evidence?: unknown };
  if (!Array.isArray(evidence)) return [];
  const place: FactPlace = scope === 'service' ? 'service-evidence' : 'instance-evidence';
  return evidence.flatMap((item, n) => {
    const fact = item && typeof item === 'object' ? (item as { fact?: unknown }).fact : undefined;
    const problem = typeof fact === 'string' && fact.length > 0 ? factProblem(fact, place) : null;
    return problem ? [{ path: ['evidence', n, 'fact'], message: problem }] : [];
  });
}

/**
 * A named pattern diagnosis looks for in the tail of each instance's PM2 log (policy/log-signals.ts): a
 * match is the fact `log:<name>` and, when the signal carries a risk flag, a risk signal that escalates.
 */
export const logSignalSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lowercase letters, digits or "-"'),
    /** What the pattern recognises and why it implies its risk (documentation only). */
    description: z.string().optional(),
    /** A JavaScript regular expression source, matched against each recent log line. */
    pattern: z.string().min(1),
    /** Matched case-insensitively unless this is true. */
    caseSensitive: z.boolean().default(false),
    /** The risk flag a match carries; without one the signal is only a fact for signatures to use. */
    risk: z.enum(RISK_FLAGS).optional(),
    /** How many recent lines must match before the signal counts (a burst, not one stray line). */
    minMatches: z.number().int().min(1).max(LOG_TAIL_LINES).default(1),
    /** false switches off a signal of an earlier file (e.g. a shipped one) without deleting it there. */
    enabled: z.boolean().default(true),
  })
  .strict()
  .superRefine((signal, ctx) => {
    let re: RegExp;
    try {
      re = new RegExp(signal.pattern, signal.caseSensitive ? '' : 'i');
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a valid regular expression: ${(err as Error).message}` });
      return;
    }
    if (re.test('')) ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'matches an empty line, so it would match every line' });
  });

export const catalogSettingsSchema = z
  .object({
    cpuBusyPercent: z.number().min(1).max(100),
    memoryHighMb: z.number().positive(),
    /** Subtracted from the primary signature's confidence when a signature of another class also matched. */
    ambiguityPenalty: z.number().min(0).max(1),
    /** A same-instance alternative counts as competing only from this confidence up. */
    competitorFloor: z.number().min(0).max(1),
    /** Patterns looked for in the instances' recent log lines; merged by name across files. */
    logSignals: z.array(logSignalSchema).superRefine((signals, ctx) => {
      const seen = new Map<string, number>();
      signals.forEach((s, n) => {
        const before = seen.get(s.name);
        if (before !== undefined) ctx.addIssue({ code: 'custom', path: [n, 'name'], message: `"${s.name}" is already used by logSignals[${before}] in this file` });
        seen.set(s.name, n);
      });
    }),
    /** Which PM2 logs are read: `err` (stderr, the default) and/or `out` (for apps that log errors to stdout). */
    logStreams: z.array(z.enum(['err', 'out'])).min(1).refine((s) => new Set(s).size === s.length, 'lists a stream twice'),
    /** Only lines written within this many minutes count (by their timestamp, else the file's modification time). */
    logWindowMinutes: z.number().positive().max(24 * 60),
    /**
     * The longest diagnosis looks on for PM2's verdict on an instance that has just been started after
     * exiting and does not answer yet (activities/pm2-verdict.ts); 0: never.
     */
    pm2VerdictWaitMs: z.number().int().min(0).max(10_000),
  })
  .strict();

export const catalogFileSchema = z
  .object({
    $schema: z.string().optional(),
    /** Free text: what this file is for. */
    description: z.string().optional(),
    settings: catalogSettingsSchema.partial().default({}),
    signatures: z.array(z.unknown()).default([]),
  })
  .strict();

export type Signature = z.output<typeof signatureSchema>;
export type SignatureInput = z.input<typeof signatureSchema>;
export type EvidenceItem = Signature['evidence'][number];
export type CatalogSettings = z.output<typeof catalogSettingsSchema>;
export type LogSignal = z.output<typeof logSignalSchema>;

/** The catalog in force: the shipped signatures with every configured file's additions and replacements. */
export interface Catalog {
  settings: CatalogSettings;
  signatures: Signature[];
  /** The files it was built from, in order (shipped first), relative to the project root where inside it. */
  files: string[];
  /** sha256 (12 hex) of the merged catalog, recorded with every diagnosis. */
  digest: string;
}
