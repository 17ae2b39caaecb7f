// `kube-xds` as a user runs it, in a process of its own.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface CliResult {
  /** null when the process was killed (it overran `timeoutMs`). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const run = promisify(execFile);

export async function cli(args: readonly string[], { env = {}, nodeArgs = [], timeoutMs = 30_000 }: { env?: Record<string, string>; nodeArgs?: readonly string[]; timeoutMs?: number } = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...nodeArgs, 'bin/kube-xds.js', ...args], { env: { ...process.env, ...env }, timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number | string | null; stdout: string; stderr: string };
    return { code: typeof failed.code === 'number' ? failed.code : null, stdout: failed.stdout, stderr: failed.stderr };
  }
}
