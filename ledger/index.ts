// The audit ledger's public surface: open it, append to it, verify it, read reports back.
export { openLedger, type OpenLedgerOptions, type OpenedLedger } from './open';
export { Ledger, LedgerValidationError, type LedgerOptions, type ListQuery } from './ledger';
export { ledgerSettingsFromEnv, LedgerConfigError, type LedgerSettings } from './settings';
export { LedgerMigrationError } from './migrate';
export { listIncidentReports, INCIDENT_REPORT_KIND, type IncidentReportFilter, type LedgerIncidentReport } from './report-queries';
export * from './types';
export { certificates, recordDrill, uncertifiedReason, DRILL_KIND, type ClassCertificate, type DrillRecord } from './certification';
