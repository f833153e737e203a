// Writes the catalog signature drafted from a human's resolution (policy/catalog/propose.ts) as a catalog
// file of its own under policy.proposalsDir, and records it in the ledger when there is one. Adopting it is
// a human's decision: review the file, then add it to policy.catalogFiles (docs/catalog.md).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { statePath } from '../config/paths';
import { catalogFor } from '../policy/catalog/load';
import { proposeSignature, type HumanResolution } from '../policy/catalog/propose';
import type { Evidence, IncidentClass } from '../policy/types';
import type { ActivityDeps } from './deps';

export interface ProposalRequest {
  incidentId: string;
  service: string;
  evidence: Evidence;
  diagnosedClass: IncidentClass | null;
  diagnosedSignatureId: string | null;
  affectedPmIds: number[];
  resolution: HumanResolution;
}

export interface ProposalOutcome {
  /** The catalog file written, or null when nothing could be drafted (`summary` says why). */
  file: string | null;
  signatureId: string | null;
  summary: string;
}

export async function proposeSignatureFromResolution({ config, ledger }: ActivityDeps, req: ProposalRequest): Promise<ProposalOutcome> {
  const catalog = catalogFor(config.policy.catalogFiles);
  const diagnosedSignature = catalog.signatures.find((s) => s.id === req.diagnosedSignatureId) ?? null;
  const proposal = proposeSignature({ ...req, settings: catalog.settings, diagnosedSignature });
  if (!proposal.signature) {
    return { file: null, signatureId: null, summary: `No signature drafted from ${req.incidentId}: ${proposal.why.join('; ')}` };
  }
  const dir = statePath(config.policy.proposalsDir);
  const file = path.join(dir, `${req.incidentId}.json`);
  const body = {
    description: `Drafted by zero-touch from ${req.incidentId} (${req.service}), resolved by ${req.resolution.operator}. Evidence: ${proposal.why.join('; ')}.`,
    signatures: [proposal.signature],
  };
  await mkdir(dir, { recursive: true });
  // Written whole or not at all: a half-written draft must never be mistaken for a catalog file.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(body, null, 2)}\n`);
  await rename(tmp, file);
  await ledger?.append({ kind: 'signature-proposal', key: req.incidentId, body: { service: req.service, file, signature: proposal.signature, why: proposal.why } });
  const playbook = proposal.signature.playbook.join(', ') || 'no action (a human decides)';
  return {
    file,
    signatureId: proposal.signature.id,
    summary: `Drafted signature ${proposal.signature.id} (${proposal.signature.class} → ${playbook}) from ${req.resolution.operator}'s resolution: ${file}. Review it, then add it to policy.catalogFiles.`,
  };
}
