// The start banner: where to look, where to send alerts, and how to break the demo to watch it heal.
import type { Config } from '../config/schema';
import { effectiveServices, instanceHealthUrl } from '../config/services';
import type { TemporalEndpoint } from '../temporal/endpoint';

export function printBanner(opts: { config: Config; temporal: TemporalEndpoint; webhookUrl: string | null; demo: boolean }): void {
  const { config, temporal } = opts;
  const lines = [
    '',
    'zero-touch is running',
    `  Temporal          ${temporal.address} (namespace ${temporal.namespace})`,
    `  Web UI            ${temporal.uiUrl ?? 'none'}${temporal.uiUrl ? `/namespaces/${temporal.namespace}/workflows` : ''}`,
    `  Alertmanager hook ${opts.webhookUrl ?? 'not served'}${config.http.webhookToken ? ' (bearer token required)' : ''}`,
    `  Health            http://${config.http.host}:${config.http.port}/healthz`,
    `  Watching          ${effectiveServices(config).map((s) => `${s.name} (${s.instances} instance(s), ${instanceHealthUrl(s, 0)})`).join(', ')}`,
  ];
  if (opts.demo) {
    const port = config.demo.basePort;
    lines.push(
      '',
      'Break the demo and watch it heal (then open the Web UI):',
      `  hang an instance:      curl -X POST -H 'content-type: application/json' -d '{"fault":"hang"}' http://127.0.0.1:${port + 1}/__faults`,
      `  make it unhealthy:     curl -X POST -H 'content-type: application/json' -d '{"fault":"unhealthy"}' http://127.0.0.1:${port}/__faults`,
      `  crash it:              curl -X POST -H 'content-type: application/json' -d '{"fault":"crash"}' http://127.0.0.1:${port}/__faults`,
      '  list incidents:        npx zt incidents',
      '  take over an incident: npx zt takeover localize-api.availability --operator you',
      '  success metrics:       npx zt report',
      '  prove the audit trail: npx zt audit verify',
    );
  }
  lines.push('', 'Ctrl-C stops everything started here.', '');
  console.log(lines.join('\n'));
}
