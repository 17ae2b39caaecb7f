// `kube-xds serve` as users run it, in a child process that benchmarks measure from outside,
// so nothing inside it is disturbed: spawn -> /readyz 200, resident memory (/proc/PID/status),
// CPU time (/proc/PID/stat), and a value of its /metrics. Every port is 0 and read back from
// the JSON "listening" log line. Optionally with node's inspector listening, through which a
// benchmark can make it collect garbage before reading memory.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { collectGarbage } from './inspector-gc.ts';
import { now, sleep } from './stats.ts';

const cli = new URL('../../bin/kube-xds.js', import.meta.url).pathname;
/** The node flags the image starts kube-xds with (its ENTRYPOINT): measured as it ships. */
const imageNodeFlags = nodeFlagsOfImage();
/** More node flags for the server, to look inside it during a benchmark: `--cpu-prof --cpu-prof-dir=DIR`, `--trace-gc` (its stdout goes to stderr then). */
const extraNodeFlags = (process.env.KUBE_XDS_BENCH_SERVER_FLAGS ?? '').split(/\s+/).filter(Boolean);
const clockTicks = ticksPerSecond();

interface Listening {
  readonly xds: string;
  readonly admin: string;
  readonly probe: string;
  readonly inspector: string | undefined;
}

export class ServeProcess {
  readonly xdsAddress: string;
  readonly adminUrl: string;
  readonly probeUrl: string;
  /** Spawn -> first /readyz 200. */
  readonly readyMs: number;
  /** CPU time the process used until it was ready. */
  readonly readyCpuMs: number;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #inspector: string | undefined;

  private constructor(child: ChildProcess, exited: Promise<void>, listening: Listening, readyMs: number) {
    this.#child = child;
    this.#exited = exited;
    this.#inspector = listening.inspector;
    this.xdsAddress = listening.xds;
    this.adminUrl = `http://${listening.admin}`;
    this.probeUrl = `http://${listening.probe}`;
    this.readyMs = readyMs;
    this.readyCpuMs = this.cpuMs();
  }

  /**
   * Starts `kube-xds serve ...args` on ports of its own choosing and waits until the probe
   * listener's /readyz answers 200, asking every `pollMs`.
   * `inspect`: with node's inspector on a port of its own, for `collectGarbage()`.
   */
  static async start(args: readonly string[], { inspect = false, pollMs = 5, timeoutMs = 120_000 } = {}): Promise<ServeProcess> {
    const level = args.includes('--log-level') ? args[args.indexOf('--log-level') + 1] : 'info';
    if (level !== 'info' && level !== 'debug') throw new Error(`bench: kube-xds serve logs "listening", which gives its ports, at info: not with --log-level ${level}`);
    const spawnedAt = now();
    const child = spawn(process.execPath, [...imageNodeFlags, ...extraNodeFlags, ...(inspect ? ['--inspect=127.0.0.1:0'] : []), cli, 'serve', '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--probe-address', '127.0.0.1:0', '--log-format', 'json', ...args], {
      stdio: ['ignore', extraNodeFlags.length > 0 ? process.stderr : 'ignore', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const log = { tail: '' };
    try {
      const listening = await listeningLine(child, exited, log, timeoutMs);
      if (inspect && !listening.inspector) throw new Error(`kube-xds serve did not say where its inspector listens: ${log.tail}`);
      for (;;) {
        if ((await httpGet(`http://${listening.probe}/readyz`).catch(() => undefined))?.status === 200) break;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`kube-xds serve exited (${child.exitCode ?? child.signalCode}) before ready: ${log.tail}`);
        if (now() - spawnedAt > timeoutMs) throw new Error(`kube-xds serve not ready after ${timeoutMs / 1_000} s: ${log.tail}`);
        await sleep(pollMs);
      }
      return new ServeProcess(child, exited, listening, now() - spawnedAt);
    } catch (error) {
      child.kill('SIGKILL');
      await exited;
      throw error;
    }
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** VmRSS and VmHWM (its peak so far), in MiB. */
  memory(): { rssMb: number; peakMb: number } {
    const { rssKb, peakKb } = processMemoryKb(this.pid);
    return { rssMb: rssKb / 1024, peakMb: peakKb / 1024 };
  }

  /** User + system CPU time since it started, in ms. */
  cpuMs(): number {
    return processCpuMs(this.pid);
  }

  /** One value of the admin /metrics (the first sample of `name` without labels). */
  async metric(name: string): Promise<number> {
    const { body } = await httpGet(`${this.adminUrl}/metrics`);
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(body);
    if (!match) throw new Error(`no ${name} in /metrics`);
    return Number(match[1]);
  }

  /** A full garbage collection (started with `inspect`); resolves to the heap used after it, in bytes. */
  collectGarbage(): Promise<number> {
    if (!this.#inspector) throw new Error('kube-xds serve was started without its inspector');
    return collectGarbage(this.#inspector);
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}

/**
 * Reads the child's log (keeping its tail in `log` for failure messages, and draining it for
 * as long as the child runs) until the "listening" line; the inspector's address if it has one.
 */
function listeningLine(child: ChildProcess, exited: Promise<void>, log: { tail: string }, timeoutMs: number): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kube-xds serve did not log "listening" within ${timeoutMs / 1_000} s: ${log.tail}`)), timeoutMs);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`kube-xds serve exited (${child.exitCode ?? child.signalCode}) before listening: ${log.tail}`));
    });
    let inspector: string | undefined;
    let listening = false;
    createInterface({ input: child.stderr! }).on('line', (line) => {
      log.tail = (log.tail + line + '\n').slice(-4_000);
      if (listening) return;
      inspector ??= /^Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1];
      const entry = parseJson(line);
      if (entry?.msg !== 'listening') return;
      listening = true;
      clearTimeout(timer);
      resolve({ xds: String(entry.xds), admin: String(entry.admin), probe: String(entry.probe), inspector });
    });
  });
}

/** A GET on a connection of its own (no pooling: nothing carries over between polls). */
export function httpGet(url: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => void (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** User + system CPU time of every thread of a process so far (/proc/PID/stat), in ms, at clock-tick resolution. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis
  // (state is field 3, utime 14, stime 15).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000) / clockTicks;
}

/** Resident memory of a process (VmRSS) and its peak (VmHWM), in KiB. */
export function processMemoryKb(pid: number): { rssKb: number; peakKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(match[1]);
  };
  return { rssKb: kb('VmRSS'), peakKb: kb('VmHWM') };
}

/** Clock ticks per second of /proc/PID/stat (USER_HZ, 100 on Linux unless the system says otherwise). */
function ticksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function nodeFlagsOfImage(): string[] {
  const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
  if (!entrypoint) throw new Error('the Dockerfile has no ENTRYPOINT in JSON form');
  const words = JSON.parse(entrypoint[1]!) as string[];
  return words.slice(1, words.indexOf('bin/kube-xds.js'));
}
