// Problems as "path rule" lines: one readable string per finding, easy to compare in tests.
import type { Problem } from '../support/envoy-check/index.ts';

export function found(problems: readonly Problem[]): string[] {
  return problems.map((problem) => `${problem.path} ${problem.rule}`);
}
