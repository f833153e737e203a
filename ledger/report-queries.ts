// Reading incident reports back from the ledger, for `zt report` and `zt incidents` without Temporal:
// by time range (when the report was recorded, i.e. when the incident ended) and by service or class.
import { z } from 'zod';
import type { IncidentReport } from '../signals/incident';
import type { Ledger } from './ledger';

export const INCIDENT_REPORT_KIND = 'incident-report';

const isoTime = z.union([z.date(), z.iso.datetime({ offset: true })]).transform((t) => new Date(t));

export const incidentReportFilterSchema = z.object({
  /** Recorded at or after. */
  from: isoTime.optional(),
  /** Recorded before. */
  to: isoTime.optional(),
  service: z.string().min(1).optional(),
  class: z.string().min(1).optional(),
  limit: z.number().int().min(1).max(10_000).default(500),
});

export type IncidentReportFilter = z.input<typeof incidentReportFilterSchema>;

export interface LedgerIncidentReport {
  seq: number;
  recordedAt: string;
  /** The ledger key the report was recorded under (the incident ID by convention). */
  key: string;
  hash: string;
  report: IncidentReport;
}

/** Newest first. */
export async function listIncidentReports(ledger: Ledger, filter: IncidentReportFilter = {}): Promise<LedgerIncidentReport[]> {
  const f = incidentReportFilterSchema.parse(filter);
  const params: unknown[] = [INCIDENT_REPORT_KIND];
  const where = ['kind = $1'];
  if (f.from) where.push(`recorded_at >= $${params.push(f.from.toISOString())}`);
  if (f.to) where.push(`recorded_at < $${params.push(f.to.toISOString())}`);
  if (f.service) where.push(`body->>'service' = $${params.push(f.service)}`);
  if (f.class) where.push(`body->>'class' = $${params.push(f.class)}`);
  const sql = `SELECT seq, recorded_at, key, hash, body FROM ${ledger.table} WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ${f.limit}`;
  return ledger.read(async (client) => {
    const { rows } = await client.query<{ seq: string; recorded_at: Date; key: string; hash: string; body: IncidentReport }>(sql, params);
    return rows.map((r) => ({ seq: Number(r.seq), recordedAt: r.recorded_at.toISOString(), key: r.key, hash: r.hash, report: r.body }));
  });
}
