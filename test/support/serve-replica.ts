// One replica of the control plane as users run it (the CLI's `kube-xds serve` in a process
// of its own), watched from outside the way the failure drills need: every JSON log line it
// writes, its resident memory from /proc/PID/status, its /metrics, its probes, and how and
// when it exits after a signal. Its ports are fixed at construction, so it can be killed and
// started again on the same address.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { freePort } from '../../bin/demo/free-port.ts';
import type { StreamStatus } from '../../control-plane/stream-status.ts';
import { waitFor } from './wait.ts';

const cli = new URL('../../bin/kube-xds.js', import.meta.url).pathname;

/** A JSON log line: `level` is debug, info, warn, error or fatal. */
export interface LogLine {
  readonly level: string;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Resident memory of a process, in KiB: now, and the most it ever held (VmHWM). */
export interface Memory {
  readonly rssKiB: number;
  readonly peakKiB: number;
}

export class ServeReplica {
  readonly name: string;
  readonly xdsAddress: string;
  readonly adminUrl: string;
  readonly probeUrl: string;
  readonly #args: readonly string[];
  #child?: ChildProcess;
  #exited?: Promise<Exit>;
  /** Every log line of every run, oldest first; lines that are not JSON are kept as `msg`. */
  readonly log: LogLine[] = [];

  private constructor(name: string, ports: { xds: number; admin: number; probe: number }, args: readonly string[]) {
    this.name = name;
    this.xdsAddress = `127.0.0.1:${ports.xds}`;
    this.adminUrl = `http://127.0.0.1:${ports.admin}`;
    this.probeUrl = `http://127.0.0.1:${ports.probe}`;
    this.#args = [
      'serve', '--xds-address', this.xdsAddress, '--admin-address', `127.0.0.1:${ports.admin}`, '--probe-address', `127.0.0.1:${ports.probe}`,
      '--log-level', 'info', '--log-format', 'json', ...args,
    ];
  }

  /** A replica on free loopback ports, not started yet. */
  static async create(name: string, args: readonly string[]): Promise<ServeReplica> {
    const [xds, admin, probe] = [await freePort('127.0.0.1'), await freePort('127.0.0.1'), await freePort('127.0.0.1')];
    return new ServeReplica(name, { xds, admin, probe }, args);
  }

  /** Starts the process (again, after it exited); with `waitReady`, until /readyz answers 200. */
  async start({ waitReady = true, timeoutMs = 30_000 } = {}): Promise<void> {
    if (this.running) throw new Error(`${this.name} is still running`);
    const child = spawn(process.execPath, [cli, ...this.#args], { stdio: ['ignore', 'ignore', 'pipe'] });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        parsed = { level: 'error', msg: `(not JSON) ${line}` };
      }
      // Bounded: at info a replica logs a line per stream opened or closed, not per change.
      if (this.log.length < 20_000) this.log.push(parsed);
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    if (!waitReady) {
      await waitFor(`${this.name} to answer /healthz`, async () => !this.running || (await this.status('/healthz')) === 200, { timeoutMs });
      if (!this.running) throw new Error(`${this.name} exited at start: ${this.describeLog()}`);
      return;
    }
    await this.waitReady(timeoutMs);
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    try {
      await waitFor(`${this.name} to be ready`, async () => !this.running || (await this.status('/readyz')) === 200, { timeoutMs });
    } catch (error) {
      throw new Error(`${(error as Error).message}; ${this.describeLog()}`);
    }
    if (!this.running) throw new Error(`${this.name} exited: ${this.describeLog()}`);
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get pid(): number {
    if (!this.running) throw new Error(`${this.name} is not running`);
    return this.#child!.pid!;
  }

  /** Sends `signal`; resolves with how the process ended. */
  signal(signal: NodeJS.Signals): Promise<Exit> {
    const exited = this.#exited!;
    this.#child?.kill(signal);
    return exited;
  }

  /** Resolves with how the process ended, or rejects when it is still running after `timeoutMs`. */
  async exit(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} still running after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.#exited!, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL when it lingers: for cleanup. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const exited = this.#exited!;
    this.#child!.kill('SIGTERM');
    const timer = setTimeout(() => this.#child?.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** VmRSS and VmHWM of the process. */
  memory(): Memory {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const field = (name: string) => {
      const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
      if (!match) throw new Error(`no ${name} in /proc/${this.pid}/status`);
      return Number(match[1]);
    };
    return { rssKiB: field('VmRSS'), peakKiB: field('VmHWM') };
  }

  /** The HTTP status of a probe-listener path (0 when it does not answer). */
  async status(path: string): Promise<number> {
    return (await fetch(`${this.probeUrl}${path}`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined))?.status ?? 0;
  }

  /**
   * The sum of every sample of a metric family whose labels contain `labels` (e.g.
   * `endpoints_only="true"`). A family with no such sample throws, unless `absent` gives the
   * value it means (a labelled counter has no sample before its first increment).
   */
  async metric(name: string, labels = '', absent?: number): Promise<number> {
    const text = await (await fetch(`${this.probeUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    let total = 0;
    let found = false;
    for (const match of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))) {
      if (!(match[1] ?? '').includes(labels)) continue;
      found = true;
      total += Number(match[2]);
    }
    if (found) return total;
    if (absent !== undefined) return absent;
    throw new Error(`${this.name} has no metric ${name}{${labels}}`);
  }

  /** NACKs counted since this process started. */
  nacks(): Promise<number> {
    return this.metric('kube_xds_nacks_total', '', 0);
  }

  /** Every connected stream (`/debug/clients`). */
  async streams(): Promise<StreamStatus[]> {
    return (await fetch(`${this.adminUrl}/debug/clients`, { signal: AbortSignal.timeout(5_000) })).json() as Promise<StreamStatus[]>;
  }

  /** What `/debug/config?node=ID` says the node holds. */
  async config(nodeId: string): Promise<unknown> {
    return (await fetch(`${this.adminUrl}/debug/config?node=${encodeURIComponent(nodeId)}`, { signal: AbortSignal.timeout(5_000) })).json();
  }

  /** Log lines at error or above. */
  errors(): LogLine[] {
    return this.log.filter((line) => line.level === 'error' || line.level === 'fatal');
  }

  /** The last log lines, for a failure message. */
  describeLog(lines = 15): string {
    return `${this.name}'s log ends:\n${this.log.slice(-lines).map((line) => JSON.stringify(line)).join('\n')}`;
  }
}
