// `npm run bench`: every benchmark in sequence, each in its own node process (a fresh heap,
// so memory figures are its own, and proof that it cleans up: a process that does not exit
// by itself after its report is reported and killed). `node test/bench/run.ts NAME...` runs
// only those. Timings are reported, never asserted.
//
// The fleet and scale benchmarks return the figures of BENCHMARKS.md: `--json` runs them and
// prints one JSON object with exactly those keys on stdout (the tables go to stderr);
// `--quick` runs them at a reduced size, as CI does to keep them working.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

type Figures = Record<string, number>;
interface Benchmark {
  readonly title: string;
  readonly limitMs: number;
  /** The figures it returns, for --json (benchmarks without any only print). */
  readonly keys?: readonly string[];
  load(): Promise<{ run(options: { quick: boolean }): Promise<Figures | void> }>;
}

const benchmarks: Record<string, Benchmark> = {
  fleet: {
    title: '1,000 streams: propagation against the raw-write floor and go-control-plane, connect storm, memory per stream',
    limitMs: 600_000,
    keys: ['propagation_p50_ms', 'propagation_p99_ms', 'floor_p50_ms', 'floor_p99_ms', 'propagation_ratio_p99', 'gocp_ratio', 'storm_all_configured_s', 'gocp_storm_ratio', 'kb_per_stream'],
    load: () => import('./fleet.ts'),
  },
  scale: {
    title: 'cold start, idle memory, and 10,000 Services against 1,000',
    limitMs: 600_000,
    keys: ['cold_start_ms', 'idle_rss_mb', 'start_to_ready_s_10k', 'rss_mb_10k', 'change_cost_ratio_10k_vs_1k', 'new_service_ratio_10k_vs_1k', 'max_loop_block_ms_10k', 'delta_bytes_ratio_10k_vs_1k'],
    load: () => import('./scale.ts'),
  },
  propagation: { title: 'Kubernetes -> client propagation', limitMs: 120_000, load: () => import('./propagation.ts') },
  fanout: { title: 'fan-out to 1,000 streams', limitMs: 120_000, load: () => import('./fanout.ts') },
  'large-model': { title: '10,000 Services through the pipeline', limitMs: 120_000, load: () => import('./large-model.ts') },
  proxyless: { title: 'proxyless gRPC end to end', limitMs: 90_000, load: () => import('./proxyless.ts') },
  clients: { title: 'real gRPC clients: scale-up and redeploy', limitMs: 150_000, load: () => import('./clients.ts') },
  'stuck-client': { title: 'a client that stops reading', limitMs: 120_000, load: () => import('./stuck-client.ts') },
  'route-change': { title: 'a canary weight change', limitMs: 90_000, load: () => import('./route-change.ts') },
  'envoy-drain': { title: 'Envoy gateway: a drain applied', limitMs: 150_000, load: () => import('./envoy-drain.ts') },
};

const finishedMarker = '@@bench-finished@@';
const figuresMarker = '@@bench-figures@@ ';
const exitGraceMs = 10_000;

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4] === '--quick');
else await parent(process.argv.slice(2));

async function child(name: string, quick: boolean): Promise<void> {
  const { setLogLevel } = await import('../../common/log.ts');
  setLogLevel('warn');
  const started = performance.now();
  const figures = await (await benchmarks[name]!.load()).run({ quick });
  console.log(`\n  (${name}${quick ? ', quick' : ''}: ${((performance.now() - started) / 1_000).toFixed(1)} s)`);
  if (figures) console.log(figuresMarker + JSON.stringify(figures));
  console.log(finishedMarker);
}

async function parent(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const quick = args.includes('--quick');
  const names = args.filter((arg) => !arg.startsWith('--'));
  const unknown = [...names.filter((name) => !(name in benchmarks)), ...args.filter((arg) => arg.startsWith('--') && arg !== '--json' && arg !== '--quick')];
  if (unknown.length > 0) {
    console.error(`unknown benchmark or flag ${unknown.join(', ')}; known: ${Object.keys(benchmarks).join(', ')}, --json, --quick`);
    process.exit(2);
  }
  const withFigures = Object.keys(benchmarks).filter((name) => benchmarks[name]!.keys);
  const selected = names.length > 0 ? names : json || quick ? withFigures : Object.keys(benchmarks);
  // With --json, stdout carries the JSON object alone.
  const print = json ? (text: string) => process.stderr.write(text) : (text: string) => process.stdout.write(text);
  machineInfo(print);
  const started = performance.now();
  const failed: string[] = [];
  const figures: Figures = {};
  for (const name of selected) {
    const result = await runChild(name, quick, print);
    if (!result) failed.push(name);
    else Object.assign(figures, result.figures);
    const missing = (benchmarks[name]!.keys ?? []).filter((key) => typeof result?.figures[key] !== 'number');
    if (result && missing.length > 0) {
      print(`  !! ${name}: no figure for ${missing.join(', ')}\n`);
      failed.push(name);
    }
  }
  print(`\nbench finished in ${((performance.now() - started) / 1_000).toFixed(1)} s${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}\n`);
  if (json) {
    const keys = selected.flatMap((name) => benchmarks[name]!.keys ?? []);
    process.stdout.write(JSON.stringify(Object.fromEntries(keys.map((key) => [key, figures[key] ?? null])), null, 2) + '\n');
  }
  process.exit(failed.length ? 1 : 0);
}

function machineInfo(print: (text: string) => void): void {
  const cpu = cpus();
  const version = (pkg: string) => JSON.parse(readFileSync(fileURLToPath(new URL(`../../node_modules/${pkg}/package.json`, import.meta.url)), 'utf8')).version;
  print('kube-xds benchmarks\n');
  print(`  node ${process.version} (${platform()} ${release()} ${arch()}), ${cpu.length} CPUs: ${cpu[0]?.model ?? '?'}\n`);
  print(`  memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} GiB free); grpc-js ${version('@grpc/grpc-js')}, grpc-js-xds ${version('@grpc/grpc-js-xds')}, client-node ${version('@kubernetes/client-node')}\n`);
  print(`  ${new Date().toISOString()}; each benchmark runs in its own process; times are wall clock\n`);
}

/** Runs one benchmark in its own process; undefined if it failed, overran, or did not exit. */
function runChild(name: string, quick: boolean, print: (text: string) => void): Promise<{ figures: Figures } | undefined> {
  const { title, limitMs } = benchmarks[name]!;
  print(`\n#### ${name}: ${title}   (load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
  const script = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, ['--expose-gc', script, '--child', name, ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let problem = '';
  let finished = false;
  let figures: Figures = {};
  let partial = '';
  const kill = (why: string) => {
    problem = why;
    proc.kill('SIGKILL');
  };
  const limit = setTimeout(() => kill(`still running after ${limitMs / 1_000} s`), limitMs);
  let grace: NodeJS.Timeout | undefined;
  proc.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith(figuresMarker)) figures = JSON.parse(line.slice(figuresMarker.length)) as Figures;
      else if (line !== finishedMarker) print(line + '\n');
      else if (!finished) {
        finished = true;
        grace = setTimeout(() => kill(`finished but did not exit within ${exitGraceMs / 1_000} s: something was left open`), exitGraceMs);
      }
    }
  });
  return new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      clearTimeout(limit);
      clearTimeout(grace);
      if (!problem && code !== 0) problem = `exited with ${signal ?? code}`;
      if (problem) print(`  !! ${name}: ${problem}\n`);
      resolve(problem ? undefined : { figures });
    });
  });
}
