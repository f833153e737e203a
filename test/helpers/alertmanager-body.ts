// The smallest valid Alertmanager webhook (payload version 4) carrying one firing alert, as the load
// tests and the ingest benchmark send it.
export interface FiringAlert {
  service: string;
  name: string;
  instance: number;
  startsAt: string;
  fingerprint: string;
  summary: string;
}

export function alertmanagerBody(a: FiringAlert): string {
  return JSON.stringify({
    version: '4',
    status: 'firing',
    receiver: 'zt',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: a.name, service: a.service, pm2_instance: String(a.instance) },
        annotations: { summary: a.summary },
        startsAt: a.startsAt,
        fingerprint: a.fingerprint,
      },
    ],
  });
}
