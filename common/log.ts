// Structured logging: one JSON object per line on stderr. The entry point sets the level
// once; library code only calls the functions.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

let level: LogLevel = 'info';
let sink: (line: string) => void = (line) => process.stderr.write(line + '\n');

export function setLogLevel(next: LogLevel): void {
  level = next;
}

export function logLevel(): LogLevel {
  return level;
}

/** Redirects log lines (tests capture them; the demo keeps its own output clean). */
export function setLogSink(write: (line: string) => void): void {
  sink = write;
}

/** The current sink, so a temporary redirect can put it back. */
export function logSink(): (line: string) => void {
  return sink;
}

type Severity = Exclude<LogLevel, 'silent'>;

function enabled(severity: Severity): boolean {
  return rank[severity] >= rank[level];
}

function emit(severity: Severity, msg: string, fields?: Record<string, unknown>): void {
  if (!enabled(severity)) return;
  sink(JSON.stringify({ time: new Date().toISOString(), level: severity, msg, ...fields }));
}

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => emit('debug', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => emit('info', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => emit('warn', msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => emit('error', msg, fields),
  /** Whether a line of this severity is written: check it before building costly fields. */
  enabled,
};
