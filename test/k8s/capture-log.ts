// Captures kube-xds log lines during a test (and keeps them off the test output).
import { logLevel, setLogLevel, setLogSink } from '../../common/log.ts';

export interface CapturedLog {
  readonly lines: Record<string, unknown>[];
  restore(): void;
}

export function captureLog(): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const previousLevel = logLevel();
  setLogLevel('debug');
  setLogSink((line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  return {
    lines,
    restore: () => {
      setLogLevel(previousLevel);
      setLogSink((line) => process.stderr.write(line + '\n'));
    },
  };
}
