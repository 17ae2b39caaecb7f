// Structured logging with pino: one JSON object per line on stderr, or readable lines
// (pino-pretty) when asked. The entry point configures it once; library code only logs.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogFormat, LogLevel } from './log-options.ts';

export type { LogFormat, LogLevel } from './log-options.ts';

function create(level: string, destination: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

// Written asynchronously: a burst of streams connecting logs a line each, and a synchronous
// write to a full pipe (a container's log, a slow reader) would stall every stream until the
// reader caught up. What cannot be written is buffered up to 16 MiB, then dropped; pino
// flushes the rest synchronously when the process exits.
let destination: DestinationStream = pino.destination({ dest: 2, sync: false, maxLength: 16 * 1024 * 1024 });
/** Reassigned by configuration; ES module importers see the current logger. */
export let log: Logger = create('info', destination);

export function setLogLevel(level: LogLevel): void {
  log.level = level;
}

export function logLevel(): LogLevel {
  return log.level as LogLevel;
}

/** Sends log lines elsewhere (tests capture them); returns the previous destination. */
export function setLogDestination(next: DestinationStream): DestinationStream {
  const previous = destination;
  destination = next;
  log = create(log.level, next);
  return previous;
}

/** The entry point's choice of level and format. */
export async function configureLog(level: LogLevel, format: LogFormat): Promise<void> {
  const pretty = format === 'pretty' || (format === 'auto' && process.stderr.isTTY);
  if (pretty) {
    const { default: prettyStream } = await import('pino-pretty');
    setLogDestination(prettyStream({ destination: 2, sync: true, colorize: process.stderr.isTTY, translateTime: 'SYS:HH:MM:ss.l' }));
  }
  setLogLevel(level);
}
