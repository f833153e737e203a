// A sink that records what detectors raise, with the time each alert arrived, for detection tests.
import type { AlertInput } from '../../signals/alert';
import type { AlertSink } from '../../sentinel/alert-sink';
import { eventually } from './system';

export interface Recorded {
  at: number;
  alert: AlertInput;
}

export class RecordingSink {
  readonly alerts: Recorded[] = [];
  readonly sink: AlertSink = async (alerts) => {
    const at = Date.now();
    for (const alert of alerts) this.alerts.push({ at, alert });
  };

  firing(name: string, since = 0): Recorded[] {
    return this.alerts.filter((r) => r.at >= since && r.alert.name === name && r.alert.status === 'firing');
  }

  waitFor(name: string, since: number, timeoutMs = 20_000, match: (r: Recorded) => boolean = () => true): Promise<Recorded> {
    return eventually(`alert ${name}`, async () => this.firing(name, since).find(match), timeoutMs);
  }
}
