// Runs every *.test.ts under test/ in one process (uvu's CLI) and ends with the plain
// "N passed, N failed" line that CI reads. The run is bounded so a hung test fails, and so
// does a run that finishes but leaves something open (a leaked server, timer or client).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const uvuBin = fileURLToPath(new URL('../node_modules/uvu/bin.js', import.meta.url));
// The whole suite takes 6-7 min on 2 cores; the bound leaves room for a slower machine
// while keeping CI under its 20 min.
const limitMs = Number(process.env.TEST_TIMEOUT_MS ?? 900_000);
const exitGraceMs = 20_000;
// An optional argument narrows the run to test files whose path matches it (a regex).
const filter = process.argv[2];
const pattern = filter ? `(?:${filter}).*\\.test\\.ts$` : '\\.test\\.ts$';
// A process group of its own: whatever the tests started (Envoy, control planes, peers) is
// killed with it when the run overruns, is interrupted, or ends leaving something behind.
const child = spawn(process.execPath, ['--import', './test/support/setup.ts', uvuBin, 'test', pattern], {
  stdio: ['ignore', 'pipe', 'inherit'],
  detached: true,
});
const killGroup = () => {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killGroup();
    process.exit(1);
  });
}

let output = '';
let problem = '';
const stop = (why: string) => {
  problem = why;
  killGroup();
};
const limit = setTimeout(() => stop(`tests still running after ${limitMs} ms`), limitMs);
let grace: NodeJS.Timeout | undefined;

child.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  output += chunk.toString();
  if (!grace && /Duration:/.test(output)) {
    grace = setTimeout(() => stop(`tests finished but the process did not exit within ${exitGraceMs} ms: something was left open`), exitGraceMs);
  }
});

child.on('exit', (code) => {
  clearTimeout(limit);
  clearTimeout(grace);
  killGroup();
  if (problem) console.error(`\n${problem}`);
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const ok = code === 0 && !problem && total > 0 && passed === total;
  console.log(`\n${passed} passed, ${ok ? 0 : Math.max(1, total - passed)} failed`);
  process.exit(ok ? 0 : 1);
});
