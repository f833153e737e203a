// What every activity may use: the validated config, one PM2 connection and the logger.
import type { Config } from '../config/schema';
import type { Logger } from '../observability/logger';
import type { Pm2Client } from '../pm2/client';

export interface ActivityDeps {
  config: Config;
  pm2: Pm2Client;
  logger: Logger;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
