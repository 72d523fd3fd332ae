import pino from 'pino';
import type { LogLevel } from './config';

export type Logger = pino.Logger;

/** A JSON logger named after the process part that writes with it. */
export function createLogger(name: string, level: LogLevel = 'info'): Logger {
  return pino({ name, level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}
