// The fleet benchmark's side of its two helper processes: the clients (fleet-clients.ts) and
// the raw-write floor server (floor-server.ts), both forked and driven over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClientCommand, ClientReport, FleetNames } from './fleet-clients.ts';
import type { FloorCommand, FloorReport } from './floor-server.ts';

export type { FleetNames } from './fleet-clients.ts';

function forkBench(file: string, execArgv: readonly string[] = []): ChildProcess {
  return fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    execArgv: [...execArgv],
    serialization: 'advanced',
    // Its standard output would mix with the benchmark's report.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface Connected {
  /** Wall-clock ms when the first stream started to connect. */
  readonly startedAt: number;
  /** Per stream: when it held a listener, route, cluster and endpoints. */
  readonly configuredAt: Float64Array;
}

/** The client process: one fleet of streams at a time. */
export class ClientProcess {
  readonly #child: ChildProcess;
  #fleet = 0;
  #waiting = new Map<string, (report: ClientReport) => void>();
  /** Called for every endpoints response of the current fleet: stream, generation, arrival. */
  onEndpoints: (stream: number, generation: number, at: number) => void = () => {};

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (report: ClientReport) => this.#onReport(report));
  }

  static start(): ClientProcess {
    return new ClientProcess(forkBench('./fleet-clients.ts'));
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** Opens `streams` streams at once; resolves when every one holds the four types. */
  async connect(address: string, streams: number, names: FleetNames, timeoutMs: number): Promise<Connected> {
    const fleet = ++this.#fleet;
    const configured = this.#next('configured');
    this.#send({ op: 'connect', fleet, address, streams, names });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    const report = await Promise.race([configured, timeout]);
    clearTimeout(timer);
    if (report?.op === 'configured') return { startedAt: report.startedAt, configuredAt: report.configuredAt };
    const status = await this.status();
    throw new Error(`bench: after ${timeoutMs / 1_000} s, ${status.configured} of ${streams} streams to ${address} hold their configuration; failures: ${status.failures.join('; ') || 'none'}`);
  }

  async status(): Promise<Extract<ClientReport, { op: 'status' }>> {
    const status = this.#next('status');
    this.#send({ op: 'status' });
    return (await status) as Extract<ClientReport, { op: 'status' }>;
  }

  /** Closes every stream of the current fleet. */
  async close(): Promise<void> {
    const closed = this.#next('closed');
    this.#send({ op: 'close', fleet: this.#fleet });
    await closed;
  }

  stop(): Promise<void> {
    return stopChild(this.#child);
  }

  #send(command: ClientCommand): void {
    if (!this.#child.connected) throw new Error(`bench: the client process is gone (exit ${this.#child.exitCode ?? this.#child.signalCode})`);
    this.#child.send(command);
  }

  #next(op: ClientReport['op']): Promise<ClientReport> {
    return new Promise((resolve) => this.#waiting.set(op, resolve));
  }

  #onReport(report: ClientReport): void {
    if (report.op === 'eds') {
      if (report.fleet !== this.#fleet) return;
      const a = report.arrivals;
      for (let i = 0; i < a.length; i += 3) this.onEndpoints(a[i]!, a[i + 1]!, a[i + 2]!);
      return;
    }
    if ('fleet' in report && report.op !== 'status' && report.fleet !== this.#fleet) return;
    const resolve = this.#waiting.get(report.op);
    this.#waiting.delete(report.op);
    resolve?.(report);
  }
}

/** The raw-write floor server. */
export class FloorProcess {
  readonly #child: ChildProcess;
  readonly address: string;
  readonly pid: number;
  /** Reports of pushes, in order (how long writing to every stream took in the floor process). */
  readonly pushes: Extract<FloorReport, { op: 'pushed' }>[] = [];
  #collected: ((heapUsed: number) => void) | undefined;

  private constructor(child: ChildProcess, port: number, pid: number) {
    this.#child = child;
    this.address = `127.0.0.1:${port}`;
    this.pid = pid;
    child.on('message', (report: FloorReport) => {
      if (report.op === 'pushed') this.pushes.push(report);
      else if (report.op === 'collected') this.#collected?.(report.heapUsed);
      else if (report.op === 'error') console.error(`  floor server: ${report.message}`);
    });
  }

  /** `initial`: the DiscoveryResponse for each type; `pushes[g]`: generation g's endpoints response. */
  static async start(initial: Record<string, Uint8Array>, pushes: readonly Uint8Array[]): Promise<FloorProcess> {
    const child = forkBench('./floor-server.ts', ['--expose-gc']);
    const command: FloorCommand = { op: 'start', initial, pushes };
    child.send(command);
    const report = await new Promise<FloorReport>((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`bench: the floor server exited (${code}) before listening`)));
    });
    if (report.op !== 'listening') {
      await stopChild(child);
      throw new Error(`bench: the floor server did not start: ${report.op === 'error' ? report.message : report.op}`);
    }
    return new FloorProcess(child, report.port, report.pid);
  }

  /** Writes generation g's endpoints response to every stream that asked for endpoints. */
  push(generation: number): void {
    const command: FloorCommand = { op: 'push', generation };
    this.#child.send(command);
  }

  /** A full garbage collection in the floor process; resolves to its used heap in bytes. */
  collectGarbage(): Promise<number> {
    return new Promise((resolve) => {
      this.#collected = resolve;
      const command: FloorCommand = { op: 'gc' };
      this.#child.send(command);
    });
  }

  stop(): Promise<void> {
    return stopChild(this.#child);
  }
}
