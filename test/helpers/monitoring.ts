// Real Prometheus and Alertmanager (the Debian binaries) on loopback for one test file: Prometheus scrapes
// the test system's demo instances with the shipped rules (every `for:` shortened), Alertmanager routes
// to the ingress's Alertmanager hook with the bearer token. Configs are written as JSON, which both
// binaries read as YAML, so no YAML library is needed to render them.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePortRange } from './system';

/** The binaries, and the Debian package that ships each one: a missing binary fails loudly, never skips. */
const BINARIES = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'prometheus-alertmanager': 'prometheus-alertmanager',
  amtool: 'prometheus-alertmanager',
} as const;
type Binary = keyof typeof BINARIES;

export const RULES_FILE = path.join(__dirname, '..', '..', 'monitoring', 'rules', 'zero-touch.rules.yml');

export async function findBinary(name: Binary): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new Error(
    `${name} is not on PATH; install it with: apt-get install -y --no-install-recommends ${BINARIES[name]}`,
  );
}

export async function runTool(name: 'promtool' | 'amtool', args: string[]): Promise<string> {
  const bin = await findBinary(name);
  try {
    const { stdout, stderr } = await promisify(execFile)(bin, args, { timeout: 15_000 });
    return `${stdout}${stderr}`;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${name} ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

/** The shipped rules with every `for:` replaced, so a test sees them fire in seconds, not minutes. */
export async function renderRules(forDuration: string): Promise<string> {
  const shipped = await readFile(RULES_FILE, 'utf8');
  const forLine = /^([ \t]+for:[ \t]*)\S+[ \t]*$/gm;
  if (!forLine.test(shipped)) throw new Error(`${RULES_FILE} has no rule with a for: to shorten`);
  return shipped.replace(forLine, `$1${forDuration}`);
}

export interface ScrapeTarget {
  /** host:port */
  address: string;
  pm2Instance: number;
}

export interface MonitoringOptions {
  /** The zero-touch service name: the `service` label the ingress looks up. */
  service: string;
  targets: ScrapeTarget[];
  /** The ingress's `/hooks/alertmanager` URL. */
  webhookUrl: string;
  webhookToken: string;
  /** Replaces every rule's `for:`; production values would keep a test waiting for minutes. */
  ruleFor?: string;
}

export interface Monitoring {
  prometheusUrl: string;
  alertmanagerUrl: string;
  /** Runs amtool against this Alertmanager. */
  amtool(args: string[]): Promise<string>;
  /** Prometheus's own view of the rule alerts (pending and firing), for assertions and failure messages. */
  prometheusAlerts(): Promise<Array<{ labels: Record<string, string>; state: string }>>;
  stop(): Promise<void>;
}

function prometheusConfig(opts: MonitoringOptions, alertmanagerAddress: string) {
  return {
    // 1 s everywhere: the test waits for scrape → rule → alert, and each step waits one interval.
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: ['rules.yml'],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanagerAddress] }] }] },
    scrape_configs: [
      {
        job_name: opts.service,
        static_configs: opts.targets.map((t) => ({
          targets: [t.address],
          labels: { service: opts.service, pm2_instance: String(t.pm2Instance) },
        })),
      },
    ],
  };
}

function alertmanagerConfig(opts: MonitoringOptions) {
  return {
    route: {
      receiver: 'zero-touch',
      group_by: ['service', 'alertname'],
      // Short so delivery is within a second or two of the alert reaching Alertmanager.
      group_wait: '1s',
      group_interval: '1s',
      repeat_interval: '1m',
    },
    receivers: [
      {
        name: 'zero-touch',
        webhook_configs: [
          {
            url: opts.webhookUrl,
            send_resolved: true,
            max_alerts: 0,
            http_config: { authorization: { type: 'Bearer', credentials: opts.webhookToken } },
          },
        ],
      },
    ],
  };
}

interface Daemon {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

function startDaemon(bin: string, args: string[]): Daemon {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // The last few KB of its log, to explain a start that never became ready.
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitReady(name: string, url: string, daemon: Daemon, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (daemon.child.exitCode !== null) throw new Error(`${name} exited with code ${daemon.child.exitCode}:\n${daemon.output()}`);
    const ok = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${name} not ready at ${url} within ${timeoutMs} ms:\n${daemon.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Prometheus is ready before it scrapes: discovery hands the scrape manager its targets only after its
 * first 5 s update tick. Waiting for every target's first scrape keeps that delay out of what tests time.
 */
async function waitScraping(prometheusUrl: string, targets: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(`prometheus to scrape its ${targets} target(s)`, timeoutMs, async () => {
    const response = await fetch(`${prometheusUrl}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(1_000) });
    const body = (await response.json()) as { data: { activeTargets: Array<{ health: string }> } };
    const scraped = body.data.activeTargets.filter((t) => t.health !== 'unknown');
    return scraped.length >= targets;
  });
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startMonitoring(opts: MonitoringOptions): Promise<Monitoring> {
  const [prometheusBin, alertmanagerBin] = await Promise.all([findBinary('prometheus'), findBinary('prometheus-alertmanager')]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zt-monitoring-'));
  const daemons: Daemon[] = [];
  const stop = async () => {
    for (const daemon of daemons.reverse()) await daemon.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const amPort = await freePortRange(1);
    const amAddress = `127.0.0.1:${amPort}`;
    const alertmanagerUrl = `http://${amAddress}`;
    await writeFile(path.join(dir, 'alertmanager.yml'), JSON.stringify(alertmanagerConfig(opts), null, 2));
    const alertmanager = startDaemon(alertmanagerBin, [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'alertmanager')}`,
      `--web.listen-address=${amAddress}`,
      // Empty disables the gossip cluster: no HA peer here, and no port 9094 taken on the machine.
      '--cluster.listen-address=',
      '--log.level=warn',
    ]);
    daemons.push(alertmanager);
    await waitReady('prometheus-alertmanager', alertmanagerUrl, alertmanager);

    const promPort = await freePortRange(1);
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    await writeFile(path.join(dir, 'rules.yml'), await renderRules(opts.ruleFor ?? '2s'));
    await writeFile(path.join(dir, 'prometheus.yml'), JSON.stringify(prometheusConfig(opts, amAddress), null, 2));
    const prometheus = startDaemon(prometheusBin, [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'prometheus')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ]);
    daemons.push(prometheus);
    await waitReady('prometheus', prometheusUrl, prometheus);
    await waitScraping(prometheusUrl, opts.targets.length);

    return {
      prometheusUrl,
      alertmanagerUrl,
      amtool: (args) => runTool('amtool', [`--alertmanager.url=${alertmanagerUrl}`, ...args]),
      async prometheusAlerts() {
        const response = await fetch(`${prometheusUrl}/api/v1/alerts`, { signal: AbortSignal.timeout(2_000) });
        const body = (await response.json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
        return body.data.alerts;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
