// What both ways of running the dev server (our CLI binary or the SDK's download) need to know.
import type { ProvisionLog } from './log';

export interface DevServerSettings {
  ip: string;
  port: number;
  uiPort: number;
  namespace: string;
  dbFilename: string | undefined;
  headless: boolean;
  readyTimeoutMs: number;
  log: ProvisionLog;
}
