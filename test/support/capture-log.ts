// Captures kube-xds log lines during a test (and keeps them off the test output).
import { logLevel, setLogDestination, setLogLevel } from '../../common/log.ts';

export interface CapturedLog {
  readonly lines: Record<string, unknown>[];
  /** Puts back the level and destination that were in force before the capture. */
  restore(): void;
}

export function captureLog(): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const previousLevel = logLevel();
  const previousDestination = setLogDestination({ write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  setLogLevel('debug');
  return {
    lines,
    restore: () => {
      setLogDestination(previousDestination);
      setLogLevel(previousLevel);
    },
  };
}
