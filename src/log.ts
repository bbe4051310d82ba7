/**
 * Structured logging: one JSON line per record, with the component, trigger and event id as
 * fields so a single event can be followed through the log.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** The levels guests and worker threads log at. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where records go; standard output by default. Tests pass a collecting stream. */
  destination?: { write(line: string): void };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? ((process.env.SPINDLE_LOG_LEVEL as LevelWithSilent | undefined) || 'info');
  return options.destination
    ? pino({ level, base: undefined }, options.destination as NodeJS.WritableStream)
    : pino({ level, base: undefined });
}
