// No container engine runs where zero-touch is developed, so docker-compose.yml is checked the way a reviewer
// would, by tools: dclint validates it against the Compose Specification JSON schema (the compose-spec schema
// dclint ships in node_modules/dclint/schemas/compose.schema.json) and lints it; then the wiring this project
// relies on is checked against the code itself (config defaults, the search-attribute contract, the demo's
// PM2 definition), and the stack's Prometheus and Alertmanager configs go through promtool and amtool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DCLinter } from 'dclint';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../config/load';
import { metricsServerSettings, temporalMetricsAddress } from '../../config/metrics';
import { demoApp } from '../../demo/ecosystem';
import { SEARCH_ATTRIBUTES } from '../../signals/search-attributes';
import { SERVER_DYNAMIC_CONFIG } from '../../temporal/server-dynamic-config';
import { runTool } from '../helpers/monitoring';

const ROOT = path.join(__dirname, '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
/** What `docker compose up` needs from the environment; everything else has a default in the file. */
const ENV: Record<string, string> = { ZT_WEBHOOK_TOKEN: 'a-webhook-token-of-32-characters' };

// Every dclint rule as an error, except the ordering ones: the file reads in dependency order (database,
// Temporal, zero-touch, monitoring, demo), which alphabetical service and key orders would scramble.
const LINT_CONFIG = {
  rules: {
    'no-build-and-image': 2,
    'no-duplicate-container-names': 2,
    'no-duplicate-exported-ports': 2,
    'no-quotes-in-volumes': 2,
    'no-unbound-port-interfaces': 2,
    'no-version-field': 2,
    'require-project-name-field': 2,
    'require-quotes-in-ports': [2, { quoteType: 'double' }],
    'service-container-name-regex': 2,
    'service-dependencies-alphabetical-order': 2,
    'service-image-require-explicit-tag': 2,
    'service-ports-alphabetical-order': 2,
    'service-keys-order': 0,
    'services-alphabetical-order': 0,
    'top-level-properties-order': 0,
  },
  quiet: false,
  debug: false,
  exclude: [],
} as ConstructorParameters<typeof DCLinter>[0];

async function lint(file: string) {
  const linter = new DCLinter(LINT_CONFIG);
  const results = linter.lintFiles([file], false);
  return { messages: results.flatMap((r) => r.messages), report: await linter.formatResults(results, 'stylish') };
}

interface Service {
  image?: string;
  build?: unknown;
  container_name?: string;
  depends_on?: string[] | Record<string, { condition: string; required?: boolean }>;
  environment?: Record<string, string | number | null> | string[];
  ports?: string[];
  volumes?: string[];
  secrets?: string[];
  command?: string[] | string;
  entrypoint?: string[] | string;
  deploy?: { replicas?: number };
  profiles?: string[];
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { environment?: string; file?: string }>;
}

/** Compose's own interpolation, enough for this file: ${VAR}, ${VAR:-default}, ${VAR:?error}, $$. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^{}]|\{[^{}]*\})*))?\}/g, (whole, name?: string, op?: string, arg?: string) => {
    if (whole === '$$') return '$';
    const value = env[name!];
    const unset = value === undefined || (op?.startsWith(':') && value === '');
    if (!unset) return value!;
    if (op?.endsWith('?')) throw new Error(`required variable ${name} is unset: ${arg}`);
    return op ? interpolate(arg ?? '', env) : '';
  });
}

function loadCompose(env = ENV): ComposeFile {
  return parseYaml(interpolate(readFileSync(COMPOSE_FILE, 'utf8'), env), { merge: true }) as ComposeFile;
}

function environmentOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((kv) => [kv.split('=')[0]!, kv.split('=').slice(1).join('=')]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function dependsOn(service: Service): string[] {
  const d = service.depends_on ?? [];
  return Array.isArray(d) ? d : Object.keys(d);
}

/** `[ip:]host:container[/proto]` → its parts; ranges stay strings. */
function parsePort(spec: string): { ip?: string; host?: string; container: string } {
  const parts = spec.replace(/\/(tcp|udp)$/, '').split(':');
  if (parts.length === 3) return { ip: parts[0]!, host: parts[1]!, container: parts[2]! };
  if (parts.length === 2) return { host: parts[0]!, container: parts[1]! };
  return { container: parts[0]! };
}

/** The repository file a service sees at `containerPath`, through its `./…` bind mounts. */
function hostPathOf(service: Service, containerPath: string): string | undefined {
  for (const volume of service.volumes ?? []) {
    const [source, target] = volume.split(':');
    if (!source?.startsWith('./') || !target) continue;
    if (containerPath === target) return path.join(ROOT, source);
    if (containerPath.startsWith(`${target}/`)) return path.join(ROOT, source, containerPath.slice(target.length + 1));
  }
  return undefined;
}

function flag(service: Service, name: string): string | undefined {
  const command = Array.isArray(service.command) ? service.command : [];
  return command.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

test('docker-compose.yml is valid against the Compose Specification schema and passes dclint', async () => {
  const { messages, report } = await lint(COMPOSE_FILE);
  assert.deepEqual(messages.map((m) => `${m.line}: ${m.rule}: ${m.message}`), [], report);
});

test('dclint really validates: a key the Compose Specification does not know, and a floating image tag, are caught', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-compose-'));
  try {
    const misspelt = path.join(dir, 'misspelt.yml');
    await writeFile(misspelt, 'name: t\nservices:\n  web:\n    imagee: "nginx:1.27"\n');
    assert.deepEqual((await lint(misspelt)).messages.map((m) => m.rule), ['invalid-schema']);
    const floating = path.join(dir, 'floating.yml');
    await writeFile(floating, 'name: t\nservices:\n  web:\n    image: "nginx:latest"\n');
    assert.deepEqual((await lint(floating)).messages.map((m) => m.rule), ['service-image-require-explicit-tag']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('every image is pinned to a version, every build-only service builds this repository, every depends_on exists', () => {
  const { services } = loadCompose();
  for (const [name, service] of Object.entries(services)) {
    if (service.image === undefined) {
      assert.equal(service.build, '.', `${name}: no image, so it must build this repository`);
      continue;
    }
    // The tag follows the last colon, unless that colon was a registry's port (then a path follows it).
    const last = service.image.split(':').slice(1).pop();
    const tag = last !== undefined && !last.includes('/') ? last : undefined;
    assert.ok(tag, `${name}: image ${service.image} has no tag`);
    assert.doesNotMatch(tag, /^(latest|stable|edge|main|master|nightly)$/, `${name}: image ${service.image} floats`);
    assert.match(tag, /^v?\d+\.\d+(\.\d+)?/, `${name}: image ${service.image} is not pinned to a version`);
  }
  for (const [name, service] of Object.entries(services)) {
    for (const target of dependsOn(service)) assert.ok(services[target], `${name} depends on ${target}, which is not a service`);
  }
});

test('every file the stack mounts from the repository exists, and every named volume and secret is declared', () => {
  const compose = loadCompose();
  for (const [name, service] of Object.entries(compose.services)) {
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0]!;
      if (source.startsWith('./')) assert.ok(existsSync(path.join(ROOT, source)), `${name} mounts ${source}, which does not exist`);
      else if (!source.startsWith('/') && !source.startsWith('~')) assert.ok(compose.volumes && source in compose.volumes, `${name}: volume ${source} is not declared`);
    }
    for (const secret of service.secrets ?? []) assert.ok(compose.secrets?.[secret], `${name}: secret ${secret} is not declared`);
  }
});

test('workers scale: no container_name, no host port, more than one replica; nothing else is pinned to one container either', () => {
  const { services } = loadCompose();
  const worker = services.worker!;
  assert.ok(worker, 'a worker service');
  assert.equal(worker.container_name, undefined, 'a container_name would forbid --scale worker=N');
  assert.deepEqual(worker.ports ?? [], [], 'a fixed host port would forbid a second replica');
  assert.ok((worker.deploy?.replicas ?? 1) >= 2, 'at least two workers, so an incident survives one dying');
  assert.deepEqual(Object.entries(services).filter(([, s]) => s.container_name).map(([n]) => n), []);
});

test('the ingress listens on the default ZT_HTTP_PORT (8088) on every interface of its container, and publishes it', () => {
  const { services } = loadCompose();
  const ingress = services.ingress!;
  const env = environmentOf(ingress);
  const config = parseConfig({}, env);
  assert.equal(parseConfig({}).http.port, 8088, 'the documented default');
  assert.equal(config.http.port, 8088, 'the compose stack keeps the documented port');
  assert.equal(config.http.host, '0.0.0.0', 'inside a container, loopback is unreachable from Alertmanager');
  const published = (ingress.ports ?? []).map(parsePort);
  assert.deepEqual(published.map((p) => p.container), [String(config.http.port)]);
  assert.ok(env.ZT_WEBHOOK_TOKEN && env.ZT_WEBHOOK_TOKEN.length >= 16, 'the hooks require a bearer token');
});

test('Alertmanager routes every alert to the ingress service’s Alertmanager hook with the webhook token as bearer', async () => {
  const { services, secrets } = loadCompose();
  const alertmanager = services.alertmanager!;
  const configPath = hostPathOf(alertmanager, flag(alertmanager, 'config.file') ?? '');
  assert.ok(configPath, 'the Alertmanager config is a file of this repository');
  const config = parseYaml(readFileSync(configPath, 'utf8')) as any;
  const receivers = new Map<string, any>(config.receivers.map((r: any) => [r.name, r]));
  const routed = [config.route.receiver, ...(config.route.routes ?? []).map((r: any) => r.receiver)];
  const ingressPort = parseConfig({}, environmentOf(services.ingress!)).http.port;
  for (const name of routed) {
    const hooks = receivers.get(name)?.webhook_configs ?? [];
    assert.ok(hooks.length > 0, `receiver ${name} delivers to a webhook`);
    for (const hook of hooks) {
      assert.equal(hook.url, `http://ingress:${ingressPort}/hooks/alertmanager`);
      assert.equal(hook.send_resolved, true);
      assert.equal(hook.http_config.authorization.type, 'Bearer');
      const secret = /^\/run\/secrets\/(.+)$/.exec(hook.http_config.authorization.credentials_file)?.[1];
      assert.ok(secret && alertmanager.secrets?.includes(secret), 'the token file is a compose secret of the alertmanager service');
      assert.equal(secrets?.[secret]?.environment, 'ZT_WEBHOOK_TOKEN', 'the same token the ingress checks');
    }
  }
  assert.ok(dependsOn(alertmanager).includes('ingress'));
  await runTool('amtool', ['check-config', configPath]);
});

test('Prometheus loads exactly the shipped rule files, alerts the Alertmanager service and scrapes every worker; promtool accepts it', async () => {
  const { services } = loadCompose();
  const prometheus = services.prometheus!;
  const containerConfig = flag(prometheus, 'config.file')!;
  const configPath = hostPathOf(prometheus, containerConfig);
  assert.ok(configPath, 'the Prometheus config is a file of this repository');
  const config = parseYaml(readFileSync(configPath, 'utf8')) as any;
  // Relative rule paths resolve against the config file's folder, in the container as in the checkout.
  const loaded = (config.rule_files as string[]).map((f) => hostPathOf(prometheus, path.posix.join(path.posix.dirname(containerConfig), f)));
  const rulesDir = path.join(ROOT, 'monitoring', 'rules');
  const shipped = readdirSync(rulesDir).filter((f) => f.endsWith('.yml') && !f.endsWith('.test.yml')).map((f) => path.join(rulesDir, f));
  assert.deepEqual(loaded.sort(), shipped.sort());
  const targets = config.alerting.alertmanagers.flatMap((a: any) => a.static_configs.flatMap((s: any) => s.targets));
  assert.deepEqual(targets, ['alertmanager:9093']);
  assert.ok((services.alertmanager!.ports ?? []).some((p) => parsePort(p).container === '9093'));
  // Every worker replica is scraped where it serves: found by the service name, on its two metrics ports.
  const workerEnv = environmentOf(services.worker!);
  const workerPorts = config.scrape_configs
    .flatMap((job: any) => job.dns_sd_configs ?? [])
    .filter((sd: any) => sd.names.includes('worker'))
    .map((sd: any) => sd.port)
    .sort();
  const incidentMetrics = metricsServerSettings(parseConfig({}, workerEnv).metrics, workerEnv);
  const sdkMetrics = temporalMetricsAddress(workerEnv).address;
  assert.ok(incidentMetrics.enabled && incidentMetrics.host === '0.0.0.0', 'the worker serves its metrics beyond loopback');
  assert.match(sdkMetrics ?? '', /^0\.0\.0\.0:\d+$/, 'the SDK exporter listens beyond loopback');
  assert.deepEqual(workerPorts, [incidentMetrics.port, Number(sdkMetrics!.split(':')[1])].sort());
  const output = await runTool('promtool', ['check', 'config', configPath]);
  assert.match(output, /SUCCESS: 1 rule files found/);
});

test('the namespace job registers exactly the search attributes of the contract', () => {
  const job = loadCompose().services['temporal-namespace']!;
  const pairs = environmentOf(job).ZT_SEARCH_ATTRIBUTES!.trim().split(/\s+/).map((p) => p.split('='));
  assert.deepEqual(Object.fromEntries(pairs), SEARCH_ATTRIBUTES);
  for (const name of ['worker', 'ingress', 'sentinel', 'temporal-ui']) {
    assert.ok(dependsOn(loadCompose().services[name]!).includes('temporal-namespace'), `${name} waits for the namespace and attributes`);
  }
});

test('the Temporal server runs with the dynamic config the dev server gets (temporal/server-dynamic-config.ts)', () => {
  const temporal = loadCompose().services.temporal!;
  const file = environmentOf(temporal).DYNAMIC_CONFIG_FILE_PATH;
  const mount = (temporal.volumes ?? []).find((v) => v.split(':')[1] === file);
  assert.ok(mount, `the file at DYNAMIC_CONFIG_FILE_PATH (${file}) is mounted from the repository`);
  const shipped = parseYaml(readFileSync(path.join(ROOT, mount.split(':')[0]!), 'utf8')) as Record<string, Array<{ value: unknown }>>;
  assert.deepEqual(Object.fromEntries(Object.entries(shipped).map(([key, [first]]) => [key, first?.value])), SERVER_DYNAMIC_CONFIG);
});

test('the ledger has its own database on the stack’s PostgreSQL, created with the credentials the workers use', () => {
  const { services } = loadCompose();
  const worker = services.worker!;
  const databaseUrl = environmentOf(worker).DATABASE_URL;
  assert.match(databaseUrl ?? '', /^postgres(ql)?:\/\//, 'workers get DATABASE_URL, a PostgreSQL URL');
  const url = new URL(databaseUrl!);
  const postgres = services[url.hostname];
  assert.ok(postgres, `DATABASE_URL names the compose service ${url.hostname}`);
  const init = environmentOf(postgres);
  assert.equal(url.pathname.slice(1), init.ZT_DB_NAME);
  assert.equal(decodeURIComponent(url.username), init.ZT_DB_USER);
  assert.equal(decodeURIComponent(url.password), init.ZT_DB_PASSWORD);
  assert.notEqual(url.pathname.slice(1), 'temporal', 'not Temporal’s own database');
  assert.ok((postgres.volumes ?? []).some((v) => v.includes('/docker-entrypoint-initdb.d/')), 'the init script creates it');
  assert.ok(dependsOn(worker).includes(url.hostname));
});

test('the mounted zero-touch config is valid, and the demo it watches is the demo target PM2 runs in the stack', () => {
  const { services } = loadCompose();
  const worker = services.worker!;
  const env = environmentOf(worker);
  const configPath = hostPathOf(worker, env.ZT_CONFIG!);
  assert.ok(configPath, 'ZT_CONFIG is a mounted file of this repository');
  const config = parseConfig(JSON.parse(readFileSync(configPath, 'utf8')), env);
  assert.equal(config.temporal.address, 'temporal:7233');
  const [watched] = config.services;
  assert.ok(watched && config.services.length === 1);
  const demo = services.demo!;
  assert.deepEqual(demo.profiles, ['demo'], 'the demo is optional');
  assert.equal(new URL(watched.healthUrl.replace('{port}', '1')).hostname, 'demo');
  assert.equal(environmentOf(demo).PM2_HOME, env.PM2_HOME, 'one PM2 home for the demo, the worker and the sentinel');
  const pm2Volume = (s: Service) => s.volumes?.find((v) => v.split(':')[1] === env.PM2_HOME);
  assert.ok(pm2Volume(worker) && pm2Volume(worker) === pm2Volume(demo) && pm2Volume(services.sentinel!) === pm2Volume(demo));
  for (const name of ['worker', 'sentinel']) {
    const d = services[name]!.depends_on as Record<string, { condition: string; required?: boolean }>;
    // Otherwise a PM2 client that finds no daemon starts one of its own, in the wrong container.
    assert.deepEqual(d.demo, { condition: 'service_healthy', required: false }, `${name} waits for the demo's PM2 when it runs`);
  }

  // The ecosystem file is demo/ecosystem.ts's definition, reachable from other containers.
  const ecosystemPath = hostPathOf(demo, (demo.command as string[]).join(' ').match(/pm2-runtime start (\S+)/)![1]!);
  const [app] = (JSON.parse(readFileSync(ecosystemPath!, 'utf8')) as { apps: Record<string, any>[] }).apps;
  const reference = demoApp({ stateDir: app!.env.DEMO_STATE_DIR }) as Record<string, any>;
  for (const key of ['name', 'instances', 'exec_mode', 'node_args', 'autorestart', 'kill_timeout', 'min_uptime', 'max_restarts', 'restart_delay', 'merge_logs']) {
    assert.deepEqual(app![key], reference[key], `demo ecosystem ${key}`);
  }
  assert.deepEqual({ ...app!.env, HOST: reference.env.HOST }, reference.env, 'same settings but the bind address');
  assert.equal(app!.env.HOST, '0.0.0.0');
  assert.equal(app!.script, '/app/demo/localize-api.js');
  assert.equal(watched.name, app!.name);
  assert.equal(watched.basePort, Number(app!.env.LOCALIZE_API_BASE_PORT));
  assert.equal(watched.instances, app!.instances);
});

test('the stack’s shell scripts parse', async () => {
  const dir = path.join(ROOT, 'monitoring', 'compose');
  for (const script of readdirSync(dir).filter((f) => f.endsWith('.sh'))) {
    await promisify(execFile)('sh', ['-n', path.join(dir, script)]);
  }
});
