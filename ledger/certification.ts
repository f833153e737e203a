// Drill certification: every drill run is a ledger row (kind `drill`), and a class is certified while its
// newest passing drill is recent enough. The ledger is append-only and hash-chained, so a certificate
// cannot be forged or back-dated without `zt audit verify` noticing.
import { z } from 'zod';
import { INCIDENT_CLASSES, type IncidentClass } from '../policy/types';
import type { Ledger } from './ledger';

export const DRILL_KIND = 'drill';

export const drillRecordSchema = z.object({
  drill: z.string().min(1).max(100),
  class: z.enum(INCIDENT_CLASSES).nullable(),
  passed: z.boolean(),
  outcome: z.string().max(100),
  recoverSeconds: z.number().nonnegative().nullable(),
  /** ISO time the drill run ended. */
  at: z.string().datetime(),
});
export type DrillRecord = z.infer<typeof drillRecordSchema>;

export async function recordDrill(ledger: Ledger, record: DrillRecord): Promise<void> {
  const body = drillRecordSchema.parse(record);
  await ledger.append({ kind: DRILL_KIND, key: `${body.drill}@${body.at}`, body });
}

export interface ClassCertificate {
  class: IncidentClass;
  /** The newest passing drill of the class, or null when it never passed. */
  lastPassed: { drill: string; at: string } | null;
  /** The newest drill run of the class, passing or not. */
  lastRun: { drill: string; at: string; passed: boolean } | null;
  certified: boolean;
}

/** Every class with its newest passing and newest run drill; certified when it passed within maxAgeMs of now. */
export async function certificates(ledger: Ledger, maxAgeMs: number, now: Date): Promise<ClassCertificate[]> {
  const rows = await ledger.read(async (client) => {
    const { rows } = await client.query<{ body: DrillRecord }>(`SELECT body FROM ${ledger.table} WHERE kind = $1 ORDER BY seq`, [DRILL_KIND]);
    return rows.map((r) => r.body);
  });
  return INCIDENT_CLASSES.map((cls) => {
    const runs = rows.filter((r) => r.class === cls).sort((a, b) => a.at.localeCompare(b.at));
    const passed = runs.filter((r) => r.passed).at(-1) ?? null;
    const last = runs.at(-1) ?? null;
    return {
      class: cls,
      lastPassed: passed ? { drill: passed.drill, at: passed.at } : null,
      lastRun: last ? { drill: last.drill, at: last.at, passed: last.passed } : null,
      certified: passed !== null && now.getTime() - Date.parse(passed.at) <= maxAgeMs,
    };
  });
}

/** Why automation may not act on this class, or null when it may. */
export function uncertifiedReason(cert: ClassCertificate | undefined, maxAgeDays: number): string | null {
  if (!cert || cert.certified) return null;
  const since = cert.lastPassed ? `its last passing drill was ${cert.lastPassed.at}` : 'it has never passed a drill';
  return `class ${cert.class} is not certified (${since}; policy.certification wants one within ${maxAgeDays} days: npm run drill ${cert.class})`;
}
