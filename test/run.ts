// `npm test`: provisions one Temporal server for the whole run (the shared provisioning module, so
// tests use exactly what `npm start` and CI use), then runs every test file with node's test runner.
// On CI a Temporal server that cannot be provided is a failure, never a skip.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { provisionTemporal } from '../temporal/provision';

const SUITES = ['unit', 'replay', 'integration'];

function testFiles(suites: string[]): string[] {
  return suites.flatMap((suite) => {
    const dir = path.join(__dirname, suite);
    try {
      return readdirSync(dir)
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => path.join('test', suite, f));
    } catch {
      return [];
    }
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unitOnly = args.includes('--unit-only');
  const explicit = args.filter((a) => !a.startsWith('--'));
  const files = explicit.length ? explicit : testFiles(unitOnly ? ['unit', 'replay'] : SUITES);
  const needsTemporal = files.some((f) => f.includes(`${path.sep}integration${path.sep}`) || f.includes('/integration/'));

  const started = Date.now();
  const temporal = needsTemporal ? await provisionTemporal({ headless: true, log: console }) : null;
  if (temporal) console.log(`# Temporal for this run: ${temporal.address}`);
  try {
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--test', ...files], {
        stdio: 'inherit',
        env: {
          ...process.env,
          ...(temporal ? { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace } : {}),
          ZT_LOG_LEVEL: process.env.ZT_LOG_LEVEL ?? 'error',
          ZT_SDK_LOG_LEVEL: process.env.ZT_SDK_LOG_LEVEL ?? 'warn',
        },
      });
      child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
    console.log(`# npm test took ${((Date.now() - started) / 1000).toFixed(1)} s for ${files.length} file(s)`);
    return code;
  } finally {
    await temporal?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`test run failed before any test: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
