// Records what would otherwise crash the test process or vanish: unhandled rejections and
// uncaught exceptions while a fuzz campaign runs, so the campaign can fail with them listed.

export interface ProcessGuard {
  readonly problems: readonly string[];
  release(): void;
}

export function guardProcess(): ProcessGuard {
  const problems: string[] = [];
  const onRejection = (reason: unknown) => void problems.push(`unhandled rejection: ${describe(reason)}`);
  const onException = (error: unknown) => void problems.push(`uncaught exception: ${describe(error)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    problems,
    release: () => {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

function describe(value: unknown): string {
  return value instanceof Error ? (value.stack ?? value.message) : String(value);
}
