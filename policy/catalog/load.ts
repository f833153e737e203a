// Loads the signature catalog: the shipped signatures.json, then every file in `policy.catalogFiles`
// (paths relative to the project root), each validated on its own so an error names its file, the
// signature and the field. A signature whose id is already known replaces it in place; a new id is
// added. Settings are merged key by key, later files winning; log signals by name, like signatures by id. Read once per process: the worker checks
// it at start-up (config/load.ts) and classification reuses the same result.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { PROJECT_ROOT, statePath } from '../../config/paths';
import { catalogFileSchema, catalogSettingsSchema, evidenceFactIssues, signatureSchema, type Catalog, type CatalogSettings, type LogSignal, type Signature } from './schema';

export const SHIPPED_CATALOG = path.join(__dirname, 'signatures.json');

/** Used where no file sets them. */
const DEFAULT_SETTINGS: CatalogSettings = {
  cpuBusyPercent: 80,
  memoryHighMb: 1024,
  ambiguityPenalty: 0.15,
  competitorFloor: 0.5,
  logSignals: [],
  logStreams: ['err'],
  logWindowMinutes: 10,
  pm2VerdictWaitMs: 3000,
};

export class CatalogError extends Error {
  override name = 'CatalogError';
}

function fieldPath(segments: ReadonlyArray<PropertyKey>): string {
  return segments.reduce<string>((out, s) => (typeof s === 'number' ? `${out}[${s}]` : out ? `${out}.${String(s)}` : String(s)), '') || '(root)';
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${fieldPath(i.path)}: ${i.message}`).join('; ');
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CatalogError(`catalog file ${file} cannot be read: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CatalogError(`catalog file ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** One file's contents, validated; errors name the file, the signature (by id and position) and the field. */
export function parseCatalogFile(raw: unknown, file: string): { settings: Partial<CatalogSettings>; signatures: Signature[] } {
  const parsed = catalogFileSchema.safeParse(raw);
  if (!parsed.success) throw new CatalogError(`catalog file ${file}: ${issues(parsed.error)}`);
  const problems: string[] = [];
  const signatures: Signature[] = [];
  const seen = new Map<string, number>();
  parsed.data.signatures.forEach((rawSig, n) => {
    const id = rawSig && typeof rawSig === 'object' && typeof (rawSig as { id?: unknown }).id === 'string' ? (rawSig as { id: string }).id : null;
    const where = `signature ${id ? `"${id}"` : '(no id)'} (signatures[${n}])`;
    const sig = signatureSchema.safeParse(rawSig);
    if (!sig.success) {
      const facts = evidenceFactIssues(rawSig).filter((f) => !sig.error.issues.some((i) => fieldPath(i.path) === fieldPath(f.path)));
      problems.push(`${where}: ${[issues(sig.error), ...facts.map((f) => `${fieldPath(f.path)}: ${f.message}`)].join('; ')}`);
      return;
    }
    const before = seen.get(sig.data.id);
    if (before !== undefined) problems.push(`${where}: id "${sig.data.id}" is already used by signatures[${before}] in this file`);
    seen.set(sig.data.id, n);
    signatures.push(sig.data);
  });
  if (problems.length) throw new CatalogError(`catalog file ${file}: ${problems.join('; ')}`);
  return { settings: parsed.data.settings, signatures };
}

function digestOf(settings: CatalogSettings, signatures: Signature[]): string {
  return createHash('sha256').update(JSON.stringify({ settings, signatures })).digest('hex').slice(0, 12);
}

/** The shipped catalog plus `extraFiles` (relative to the project root unless absolute). */
export function loadCatalog(extraFiles: readonly string[] = []): Catalog {
  const files = [SHIPPED_CATALOG, ...extraFiles.map(statePath)];
  let settings: Partial<CatalogSettings> = {};
  const logSignals: LogSignal[] = [];
  const signatures: Signature[] = [];
  const fileOf = new Map<string, string>();
  for (const file of files) {
    const part = parseCatalogFile(readJson(file), file);
    const { logSignals: fileSignals, ...fileSettings } = part.settings;
    settings = { ...settings, ...fileSettings };
    // Log signals are merged by name, like signatures by id: a known name is replaced in place.
    for (const signal of fileSignals ?? []) {
      const at = logSignals.findIndex((s) => s.name === signal.name);
      if (at >= 0) logSignals[at] = signal;
      else logSignals.push(signal);
    }
    for (const sig of part.signatures) {
      fileOf.set(sig.id, file);
      const at = signatures.findIndex((s) => s.id === sig.id);
      if (at >= 0) signatures[at] = sig;
      else signatures.push(sig);
    }
  }
  const merged = catalogSettingsSchema.parse({ ...DEFAULT_SETTINGS, ...settings, logSignals });
  checkLogFacts(signatures, merged, fileOf);
  const shown = files.map((f) => (f.startsWith(PROJECT_ROOT + path.sep) ? path.relative(PROJECT_ROOT, f) : f));
  return { settings: merged, signatures, files: shown, digest: digestOf(merged, signatures) };
}

/** Every `log:<name>` a signature uses must name a log signal of the merged catalog (a typo would never hold). */
function checkLogFacts(signatures: Signature[], settings: CatalogSettings, fileOf: Map<string, string>): void {
  const known = new Set(settings.logSignals.map((s) => s.name));
  const problems = new Map<string, string[]>();
  for (const sig of signatures) {
    const used: Array<[string, string]> = [
      ...sig.evidence.map((e, n): [string, string] => [`evidence[${n}].fact`, e.fact]),
      ...sig.severity.raise.flatMap((r, n) => r.when.map((f, m): [string, string] => [`severity.raise[${n}].when[${m}]`, f])),
      ...sig.playbookRules.flatMap((r, n) => r.when.map((f, m): [string, string] => [`playbookRules[${n}].when[${m}]`, f])),
    ];
    for (const [where, fact] of used) {
      if (!fact.startsWith('log:') || known.has(fact.slice(4))) continue;
      const file = fileOf.get(sig.id)!;
      const list = problems.get(file) ?? [];
      list.push(`signature "${sig.id}": ${where}: unknown log signal "${fact.slice(4)}" (known: ${[...known].join(', ') || 'none'})`);
      problems.set(file, list);
    }
  }
  if (problems.size) throw new CatalogError([...problems].map(([file, list]) => `catalog file ${file}: ${list.join('; ')}`).join('; '));
}

const cache = new Map<string, Catalog>();

/** loadCatalog, once per distinct file list: a catalog edited later takes effect on the next start. */
export function catalogFor(extraFiles: readonly string[] = []): Catalog {
  const key = JSON.stringify(extraFiles);
  let catalog = cache.get(key);
  if (!catalog) {
    catalog = loadCatalog(extraFiles);
    cache.set(key, catalog);
  }
  return catalog;
}
