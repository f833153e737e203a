// Releases of the demo target for the deploy drills, deployed the way a user deploys: `zt deploy`.
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runZt } from '../test/helpers/zt';

const DEMO = path.resolve(__dirname, '../demo');

export type ReleaseKind = 'good' | 'dies-on-start' | 'fails-requests';

// A release whose own code fails half its API requests with 500 from its first moments: it arms the
// target's `errors` fault on itself right after it starts listening.
const FAILS_REQUESTS = `
;(() => {
  const port = Number(process.env.LOCALIZE_API_BASE_PORT) + Number(process.env.NODE_APP_INSTANCE || 0);
  const arm = (tries) => fetch('http://127.0.0.1:' + port + '/__faults', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fault: 'errors', rate: 0.5 }),
  }).catch(() => tries > 0 && setTimeout(() => arm(tries - 1), 100));
  setTimeout(() => arm(20), 100);
})();
`;

/** A release dir built from the demo target; `name` becomes its package version. */
export async function makeRelease(root: string, name: string, kind: ReleaseKind): Promise<string> {
  const dir = path.join(root, 'src', name);
  await mkdir(dir, { recursive: true });
  await cp(path.join(DEMO, 'localize-api'), path.join(dir, 'localize-api'), { recursive: true });
  const main = await readFile(path.join(DEMO, 'localize-api.js'), 'utf8');
  const code =
    kind === 'dies-on-start'
      ? `throw new Error('bad release: the translations table this build expects does not exist');\n${main}`
      : kind === 'fails-requests'
        ? `${main}\n${FAILS_REQUESTS}`
        : main;
  await writeFile(path.join(dir, 'localize-api.js'), code);
  // A release ships its dependencies; this one borrows the project's (prom-client).
  await symlink(path.resolve(DEMO, '..', 'node_modules'), path.join(dir, 'node_modules'));
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'localize-api', version: '1.0.0' }));
  return dir;
}

export interface DeployTarget {
  pm2Home: string;
  service: string;
  basePort: number;
  instances: number;
  appDir: string;
  registryPath: string;
}

/** `zt deploy <service> <dir> --version V`; throws with its stderr when it fails. Returns when it finished. */
export async function ztDeploy(t: DeployTarget, releaseDir: string, version: string): Promise<void> {
  const raw = {
    pm2: { home: t.pm2Home },
    services: [{ name: t.service, basePort: t.basePort, instances: t.instances, actions: { deploy: { appDir: t.appDir, registryPath: t.registryPath } } }],
  };
  const env: NodeJS.ProcessEnv = { ...process.env, ZT_CONFIG: JSON.stringify(raw), ZT_OPERATOR: 'drill-release-bot' };
  delete env.PM2_HOME;
  const run = await runZt(['deploy', t.service, releaseDir, '--version', version], env, 60_000);
  if (run.code !== 0) throw new Error(`zt deploy ${version} failed (${run.code}): ${run.stderr.trim()}`);
}
