// Loads the signature catalog: the shipped signatures.json, then every file in `policy.catalogFiles`
// (paths relative to the project root), each validated on its own so an error names its file, the
// signature and the field. A signature whose id is already known replaces it in place; a new id is
// added. Settings are merged key by key, later files winning. Read once per process: the worker checks
// it at start-up (config/load.ts) and classification reuses the same result.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { PROJECT_ROOT, statePath } from '../../config/paths';
import { catalogFileSchema, catalogSettingsSchema, evidenceFactIssues, signatureSchema, type Catalog, type CatalogSettings, type Signature } from './schema';

export const SHIPPED_CATALOG = path.join(__dirname, 'signatures.json');

/** Used where no file sets them. */
const DEFAULT_SETTINGS: CatalogSettings = { cpuBusyPercent: 80, memoryHighMb: 1024, ambiguityPenalty: 0.15, competitorFloor: 0.5 };

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
  const signatures: Signature[] = [];
  for (const file of files) {
    const part = parseCatalogFile(readJson(file), file);
    settings = { ...settings, ...part.settings };
    for (const sig of part.signatures) {
      const at = signatures.findIndex((s) => s.id === sig.id);
      if (at >= 0) signatures[at] = sig;
      else signatures.push(sig);
    }
  }
  const merged = catalogSettingsSchema.parse({ ...DEFAULT_SETTINGS, ...settings });
  const shown = files.map((f) => (f.startsWith(PROJECT_ROOT + path.sep) ? path.relative(PROJECT_ROOT, f) : f));
  return { settings: merged, signatures, files: shown, digest: digestOf(merged, signatures) };
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
