// Runs every *.test.ts under test/ in one process (uvu's CLI) and ends with the plain
// "N passed, N failed" line that CI reads. The whole run is bounded so a hung test fails.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const uvuBin = fileURLToPath(new URL('../node_modules/uvu/bin.js', import.meta.url));
const limitMs = Number(process.env.TEST_TIMEOUT_MS ?? 600_000);
const pattern = process.argv[2] ?? '\\.test\\.ts$';
const child = spawn(process.execPath, ['--import', './test/support/setup.ts', uvuBin, 'test', pattern], { stdio: ['ignore', 'pipe', 'inherit'] });

let output = '';
child.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  output += chunk.toString();
});
const timer = setTimeout(() => {
  console.error(`\ntests still running after ${limitMs} ms: killing them`);
  child.kill('SIGKILL');
}, limitMs);

child.on('exit', (code, signal) => {
  clearTimeout(timer);
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const ok = code === 0 && signal === null && total > 0;
  console.log(`\n${passed} passed, ${ok ? total - passed : Math.max(1, total - passed)} failed`);
  process.exit(ok ? 0 : 1);
});
