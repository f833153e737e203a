// One structured logger for every process; ZT_LOG_LEVEL tunes it (tests run it at "warn").
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(name: string): Logger {
  return pino({ name, level: process.env.ZT_LOG_LEVEL ?? 'info', base: { service: 'zero-touch', component: name } });
}
