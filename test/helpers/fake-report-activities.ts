// The report side of an incident, faked for workflow tests with fake activities: pages and notifications
// that go nowhere, no traffic to measure, no signature draft, a ledger that accepts every row.
import type { Activities } from '../../activities';

export const fakeReportActivities: Pick<
  Activities,
  'pageHumans' | 'resolvePage' | 'notifyResolved' | 'publishReport' | 'measureTraffic' | 'estimateUserImpact' | 'proposeSignature' | 'recordInLedger'
> = {
  async pageHumans() {
    return { event: 'escalated', incidentId: 'fake', deliveries: [], notSent: ['fake notifiers'], summary: 'fake page' };
  },
  async resolvePage() {
    return { event: 'page-resolved', incidentId: 'fake', deliveries: [], notSent: ['fake notifiers'], summary: 'fake resolve' };
  },
  async notifyResolved() {
    return { event: 'resolved', incidentId: 'fake', deliveries: [], notSent: ['fake notifiers'], summary: 'fake notification' };
  },
  async publishReport() {},
  async measureTraffic() {
    return { at: Date.now(), instances: [] };
  },
  async estimateUserImpact() {
    return { failedRequests: 0, totalRequests: 0, errorRatio: 0, affectedUsers: 0, durationSeconds: 0, requestsPerUserPerMinute: 6, basis: 'fake' };
  },
  async proposeSignature() {
    return { file: null, signatureId: null, summary: 'fake: no draft' };
  },
  async recordInLedger() {
    return { seq: 1, hash: 'f'.repeat(64), recordedAt: new Date().toISOString(), created: true };
  },
};
