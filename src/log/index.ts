/**
 * Logging: JSON lines on stdout (journald keeps them), readable lines on a TTY. Every line
 * carries the `component` that wrote it; loggers exist only per component.
 */
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export interface LogOptions {
  readonly level?: Level;
  /** Where lines go; stdout by default. */
  readonly destination?: DestinationStream;
  /** Readable output instead of JSON; defaults to whether stdout is a TTY. */
  readonly pretty?: boolean;
}

/** A root whose only use is to hand out component loggers. */
export interface LogRoot {
  component(name: string): Logger;
}

export function createLogRoot(options: LogOptions = {}): LogRoot {
  const usePretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY);
  const destination: DestinationStream =
    options.destination ??
    (usePretty
      ? pretty({ colorize: true, sync: true, ignore: 'pid,hostname', messageFormat: '[{component}] {msg}' })
      : pino.destination({ dest: 1, sync: true }));
  const root = pino(
    {
      level: options.level ?? levelFromEnv(),
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
  return { component: (name: string) => root.child({ component: name }) };
}

const LEVELS: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function levelFromEnv(): Level {
  const level = process.env.DOORWAY_LOG_LEVEL;
  return LEVELS.find((known) => known === level) ?? 'info';
}
