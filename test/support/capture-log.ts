// Captures kube-xds log lines during a test (and keeps them off the test output).
import { logLevel, logSink, setLogLevel, setLogSink } from '../../common/log.ts';

export interface CapturedLog {
  readonly lines: Record<string, unknown>[];
  /** Puts back the level and sink that were in force before the capture. */
  restore(): void;
}

export function captureLog(): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const previousLevel = logLevel();
  const previousSink = logSink();
  setLogLevel('debug');
  setLogSink((line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  return {
    lines,
    restore: () => {
      setLogLevel(previousLevel);
      setLogSink(previousSink);
    },
  };
}
