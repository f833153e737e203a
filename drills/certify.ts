// Each drill's verdict goes into the audit ledger (kind `drill`), where certification reads it: with
// policy.certification.enforce, a class acts automatically only while a drill of that class passed recently
// (docs/policy.md, `zt drill status`). The ledger is the one the workers use (DATABASE_URL, else the
// embedded PGlite), not the drills' own throwaway systems.
import { ledgerSettingsFromEnv, openLedger, recordDrill } from '../ledger';
import { createLogger } from '../observability/logger';
import type { DrillSummary } from './summary';

/** Records every drill that produces a class; returns how many were recorded, or why none could be. */
export async function recordVerdicts(summaries: DrillSummary[], at: Date): Promise<{ recorded: number; where: string }> {
  const logger = createLogger('drill');
  const opened = await openLedger({ ...ledgerSettingsFromEnv(), logger });
  try {
    let recorded = 0;
    for (const d of summaries) {
      if (d.class === null) continue;
      await recordDrill(opened.ledger, {
        drill: d.drill,
        class: d.class,
        passed: d.passed,
        outcome: d.why.slice(0, 100),
        recoverSeconds: d.recoverP95,
        at: at.toISOString(),
      });
      recorded++;
    }
    return { recorded, where: opened.where };
  } finally {
    await opened.close();
  }
}
