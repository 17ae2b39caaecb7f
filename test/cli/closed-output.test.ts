// `kube-xds help | head -1`: output whose reader has gone ends the command quietly, with no
// EPIPE stack trace.
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

/** Runs the CLI with its stdout closed on the reading side before it writes anything. */
async function runWithClosedStdout(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['bin/kube-xds.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stderr };
}

for (const args of [['help'], ['serve', '--help'], ['--version'], ['bootstrap', 'grpc', '--xds-address', 'kube-xds:18000', '--node-id', 'a'], ['bootstrap', 'envoy', '--role', 'gateway', '--xds-address', 'kube-xds:18000']]) {
  test(`kube-xds ${args.join(' ')} | head -1: exits 0 without a word`, async () => {
    assert.equal(await runWithClosedStdout(args), { code: 0, stderr: '' });
  });
}

test.run();
