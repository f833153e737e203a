// `zt drill status`: which incident classes are certified — a passing `npm run drill` recorded in the ledger
// within policy.certification.maxAgeDays — and when each last passed and last ran. With
// policy.certification.enforce, automation only observes the classes this shows as not certified.
import type { Command } from 'commander';
import { certificates, type ClassCertificate } from '../ledger/certification';
import { loadCliConfig } from './config';
import { LEDGER_ENVIRONMENT_HELP, withLedger } from './ledger-access';
import { printJson, printText } from './output';
import { formatTable } from './table';

export function registerDrillCommand(program: Command): void {
  const drill = program.command('drill').description('drill certification of the incident classes (the drills themselves: npm run drill)');
  drill
    .command('status')
    .description('which classes are certified by a recent passing drill, and when each last passed and ran')
    .option('--json', 'print [{class, certified, lastPassed, lastRun}] and the policy')
    .addHelpText('after', LEDGER_ENVIRONMENT_HELP)
    .action(async (opts: { json?: boolean }) => {
      const { enforce, maxAgeDays } = loadCliConfig().policy.certification;
      const certs = (await withLedger((ledger) => certificates(ledger, maxAgeDays * 86_400_000, new Date()))) ?? [];
      if (opts.json) return printJson({ enforce, maxAgeDays, classes: certs });
      printText(statusText(certs, enforce, maxAgeDays));
    });
}

export function statusText(certs: ClassCertificate[], enforce: boolean, maxAgeDays: number): string {
  const policy = enforce
    ? `Certification is enforced: classes without a passing drill in the last ${maxAgeDays} days are only observed.`
    : `Certification is not enforced (policy.certification.enforce): every class is acted on; certified = a passing drill in the last ${maxAgeDays} days.`;
  if (certs.length === 0) return `${policy}\nNo drill recorded yet: run npm run drill.`;
  const rows = certs.map((c) => [
    c.class,
    c.certified ? 'yes' : 'no',
    c.lastPassed ? `${c.lastPassed.at} (${c.lastPassed.drill})` : 'never',
    c.lastRun ? `${c.lastRun.at} ${c.lastRun.passed ? 'passed' : 'FAILED'}` : 'never',
  ]);
  return `${policy}\n\n${formatTable(['CLASS', 'CERTIFIED', 'LAST PASSED', 'LAST RUN'], rows)}`;
}
