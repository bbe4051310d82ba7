/**
 * Structured logging: one JSON line per record, with the component, trigger and event id as
 * fields so a single event can be followed through the log. On a terminal the same records are
 * printed as short readable lines instead (`pretty`), each field still there as `key=value`.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** The levels guests and worker threads log at. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** `json` (the default) or `pretty`; ignored when `destination` is given. */
  format?: LogFormat;
  /** Where records go; standard output by default. Tests pass a collecting stream. */
  destination?: { write(line: string): void };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? ((process.env.SPINDLE_LOG_LEVEL as LevelWithSilent | undefined) || 'info');
  const destination = options.destination ?? (options.format === 'pretty' ? prettyStdout() : undefined);
  return destination ? pino({ level, base: undefined }, destination as NodeJS.WritableStream) : pino({ level, base: undefined });
}

const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '90' },
  20: { name: 'DEBUG', color: '90' },
  30: { name: 'INFO ', color: '32' },
  40: { name: 'WARN ', color: '33' },
  50: { name: 'ERROR', color: '31' },
  60: { name: 'FATAL', color: '31' },
};

const shown = (value: unknown) => (typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value));

/** One pino record as a readable line: time, level, message, then every other field as key=value. */
export function prettyLine(record: Record<string, unknown>, color: boolean): string {
  const { time, level, msg, ...fields } = record;
  const clock = new Date(Number(time)).toISOString().slice(11, 23);
  const { name, color: code } = LEVELS[Number(level)] ?? { name: String(level), color: '0' };
  const paint = (text: string, c: string) => (color ? `\u001b[${c}m${text}\u001b[0m` : text);
  const rest = Object.entries(fields).map(([k, v]) => `${paint(k, '2')}=${shown(v)}`);
  return `${paint(clock, '2')} ${paint(name, code)} ${String(msg ?? '')}${rest.length ? ` ${rest.join(' ')}` : ''}\n`;
}

function prettyStdout(): { write(line: string): void } {
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  return { write: (line: string) => void process.stdout.write(prettyLine(JSON.parse(line) as Record<string, unknown>, color)) };
}
