// `npm run bench`: every benchmark in sequence, each in its own node process (a fresh heap,
// so memory figures are its own, and proof that it cleans up: a process that does not exit
// by itself after its report is reported and killed). `node test/bench/run.ts NAME...` runs
// only those. Timings are reported, never asserted.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const benchmarks: Record<string, { readonly title: string; readonly limitMs: number; load(): Promise<{ run(): Promise<void> }> }> = {
  propagation: { title: 'Kubernetes -> client propagation', limitMs: 120_000, load: () => import('./propagation.ts') },
  fanout: { title: 'fan-out to 1,000 streams', limitMs: 120_000, load: () => import('./fanout.ts') },
  'large-model': { title: '10,000 Services through the pipeline', limitMs: 120_000, load: () => import('./large-model.ts') },
  proxyless: { title: 'proxyless gRPC end to end', limitMs: 90_000, load: () => import('./proxyless.ts') },
  clients: { title: 'real gRPC clients: scale-up and redeploy', limitMs: 150_000, load: () => import('./clients.ts') },
  'envoy-drain': { title: 'Envoy gateway: a drain applied', limitMs: 150_000, load: () => import('./envoy-drain.ts') },
};

const finishedMarker = '@@bench-finished@@';
const exitGraceMs = 10_000;

if (process.argv[2] === '--child') await child(process.argv[3]!);
else await parent(process.argv.slice(2));

async function child(name: string): Promise<void> {
  const { setLogLevel } = await import('../../common/log.ts');
  setLogLevel('warn');
  const started = performance.now();
  await (await benchmarks[name]!.load()).run();
  console.log(`\n  (${name}: ${((performance.now() - started) / 1_000).toFixed(1)} s)`);
  console.log(finishedMarker);
}

async function parent(names: string[]): Promise<void> {
  const unknown = names.filter((name) => !(name in benchmarks));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benchmarks).join(', ')}`);
    process.exit(2);
  }
  const selected = names.length > 0 ? names : Object.keys(benchmarks);
  machineInfo();
  const started = performance.now();
  const failed: string[] = [];
  for (const name of selected) if (!(await runChild(name))) failed.push(name);
  console.log(`\nbench finished in ${((performance.now() - started) / 1_000).toFixed(1)} s${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}`);
  process.exit(failed.length ? 1 : 0);
}

function machineInfo(): void {
  const cpu = cpus();
  const version = (pkg: string) => JSON.parse(readFileSync(fileURLToPath(new URL(`../../node_modules/${pkg}/package.json`, import.meta.url)), 'utf8')).version;
  console.log('kube-xds benchmarks');
  console.log(`  node ${process.version} (${platform()} ${release()} ${arch()}), ${cpu.length} CPUs: ${cpu[0]?.model ?? '?'}`);
  console.log(`  memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} GiB free); grpc-js ${version('@grpc/grpc-js')}, grpc-js-xds ${version('@grpc/grpc-js-xds')}, client-node ${version('@kubernetes/client-node')}`);
  console.log(`  ${new Date().toISOString()}; each benchmark runs in its own process; times are wall clock`);
}

/** Runs one benchmark in its own process; false if it failed, overran, or did not exit. */
function runChild(name: string): Promise<boolean> {
  const { title, limitMs } = benchmarks[name]!;
  console.log(`\n#### ${name}: ${title}   (load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  const script = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, ['--expose-gc', script, '--child', name], { stdio: ['ignore', 'pipe', 'inherit'] });
  let problem = '';
  let finished = false;
  let output = '';
  const kill = (why: string) => {
    problem = why;
    proc.kill('SIGKILL');
  };
  const limit = setTimeout(() => kill(`still running after ${limitMs / 1_000} s`), limitMs);
  let grace: NodeJS.Timeout | undefined;
  proc.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    const text = chunk.toString().replace(`${finishedMarker}\n`, '');
    process.stdout.write(text);
    if (!finished && output.includes(finishedMarker)) {
      finished = true;
      grace = setTimeout(() => kill(`finished but did not exit within ${exitGraceMs / 1_000} s: something was left open`), exitGraceMs);
    }
  });
  return new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      clearTimeout(limit);
      clearTimeout(grace);
      if (!problem && code !== 0) problem = `exited with ${signal ?? code}`;
      if (problem) console.log(`  !! ${name}: ${problem}`);
      resolve(!problem);
    });
  });
}
