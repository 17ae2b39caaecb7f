// The logging choices, apart from the logger, so flag validation does not load pino.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export const logLevels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
/** `auto`: pretty when stderr is a terminal, JSON otherwise. */
export type LogFormat = 'json' | 'pretty' | 'auto';
export const logFormats: readonly LogFormat[] = ['json', 'pretty', 'auto'];
