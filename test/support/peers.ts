// The real peers of test/peers/ (installed by test/peers/install.sh), driven through their
// one command-line contract: gRPC clients of every implementation, Go backends, Envoy.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { peersCacheDir } from '../../bin/demo/find-envoy.ts';
import { waitFor } from './wait.ts';

/** The proxyless clients, each a gRPC implementation (or version) of its own. */
export const proxylessClients = ['grpc-go', 'grpc-java', 'c-core', 'c-core-debian', 'grpc-js'] as const;
export type ClientName = (typeof proxylessClients)[number];

interface PeerEntry {
  readonly version: string;
  readonly command: readonly string[];
}

export interface Peers {
  readonly envoy: PeerEntry;
  readonly backend: PeerEntry;
  /** The Go CSDS client (test/peers/go/csds). */
  readonly csds: PeerEntry;
  /** go-control-plane's snapshot cache and SotW ADS server, fed over stdin (test/peers/go/gocp). */
  readonly gocp: PeerEntry;
  readonly clients: Readonly<Record<ClientName, PeerEntry>>;
}

const peersSources = fileURLToPath(new URL('../peers', import.meta.url));

let loaded: Peers | undefined;

/** The installed peers; throws with the fix when test/peers/install.sh has not run. */
export function peers(): Peers {
  if (loaded) return loaded;
  const file = join(peersCacheDir(), 'peers.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`the test peers are not installed (${file} is missing): run test/peers/install.sh`);
  }
  const resolve = (entry: PeerEntry): PeerEntry => ({
    version: entry.version,
    command: entry.command.map((part) => part.replace('{peers}', peersSources).replace('{node}', process.execPath)),
  });
  const raw = JSON.parse(text) as Peers;
  loaded = {
    envoy: resolve(raw.envoy),
    backend: resolve(raw.backend),
    // Read when used: a peers.json from before the CSDS client still serves every other test.
    get csds() {
      if (!raw.csds) throw new Error(`the CSDS client is not installed (${file} predates it): run test/peers/install.sh`);
      return resolve(raw.csds);
    },
    get gocp() {
      if (!raw.gocp) throw new Error(`the go-control-plane peer is not installed (${file} predates it): run test/peers/install.sh`);
      return resolve(raw.gocp);
    },
    clients: Object.fromEntries(proxylessClients.map((name) => [name, resolve(raw.clients[name])])) as Record<ClientName, PeerEntry>,
  };
  return loaded;
}

/** The clients to test: all, or those named in KUBE_XDS_CLIENTS (comma-separated). */
export function selectedClients(): ClientName[] {
  const wanted = process.env.KUBE_XDS_CLIENTS?.split(',').map((name) => name.trim()).filter(Boolean);
  if (!wanted?.length) return [...proxylessClients];
  const unknown = wanted.filter((name) => !(proxylessClients as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`KUBE_XDS_CLIENTS names unknown clients ${unknown.join(', ')}; known: ${proxylessClients.join(', ')}`);
  return wanted as ClientName[];
}

/** Starts a peer program; its stdout lines go to `onLine`, the tail of its stderr is kept. */
function startProgram(command: readonly string[], args: readonly string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void) {
  const child = spawn(command[0]!, [...command.slice(1), ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  // A command written to a program that already exited fails with EPIPE; the waits report the exit.
  child.stdin!.on('error', () => {});
  createInterface({ input: child.stdout! }).on('line', onLine);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

export interface ClientOptions {
  readonly target: string;
  /** A GRPC_XDS_BOOTSTRAP file, for xds:/// targets. */
  readonly bootstrap?: string;
  readonly authority?: string;
  readonly rate?: number;
  readonly deadlineMs?: number;
  readonly idleTimeoutMs?: number;
  /** The method every call makes, `/SERVICE/METHOD` (default: the contract's Hello). */
  readonly method?: string;
  /** Headers sent with every call. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface Call {
  /** The client's own clock: ms since it started. */
  readonly ms: number;
  /** performance.now() in this process when the line was read. */
  readonly at: number;
  readonly backend: string;
}
export interface Failure {
  readonly ms: number;
  readonly at: number;
  readonly code: string;
  readonly details: string;
}
export interface ClientSummary {
  readonly calls: Readonly<Record<string, number>>;
  readonly failures: Readonly<Record<string, number>>;
  readonly first_answer_ms: Readonly<Record<string, number>>;
}

/** A running peer client: every call it makes and every failure, as they happen. */
export class PeerClient {
  readonly name: string;
  readonly calls: Call[] = [];
  readonly failures: Failure[] = [];
  version?: string;
  #summary?: ClientSummary;
  /** The first line that broke the contract, if any. */
  #broken?: string;
  readonly #program: ReturnType<typeof startProgram>;

  private constructor(name: string, command: readonly string[], options: ClientOptions) {
    this.name = name;
    const args = ['--target', options.target, '--rate', String(options.rate ?? 50), '--deadline-ms', String(options.deadlineMs ?? 5_000)];
    if (options.authority) args.push('--authority', options.authority);
    if (options.idleTimeoutMs) args.push('--idle-timeout-ms', String(options.idleTimeoutMs));
    if (options.method) args.push('--method', options.method);
    for (const [key, value] of Object.entries(options.metadata ?? {})) args.push('--metadata', `${key}=${value}`);
    const env = options.bootstrap ? { GRPC_XDS_BOOTSTRAP: options.bootstrap } : {};
    this.#program = startProgram(command, args, env, (line) => this.#onLine(line));
  }

  static start(name: ClientName, options: ClientOptions): PeerClient {
    return new PeerClient(name, peers().clients[name].command, options);
  }

  #onLine(line: string): void {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line);
    } catch {
      // Thrown from here it would end the test process; the next wait reports it instead.
      this.#broken ??= `${this.name} printed a line that is not JSON: ${line}`;
      return;
    }
    switch (event.event) {
      case 'start':
        this.version = String(event.version);
        break;
      case 'call':
        this.calls.push({ ms: Number(event.ms), at: performance.now(), backend: String(event.backend) });
        break;
      case 'failure':
        this.failures.push({ ms: Number(event.ms), at: performance.now(), code: String(event.code), details: String(event.details) });
        break;
      case 'summary':
        this.#summary = event as unknown as ClientSummary;
        break;
    }
  }

  /** Calls answered or failed so far: a mark to look at what came after. */
  get mark(): number {
    return this.calls.length;
  }

  /** How many calls each backend answered after `mark`. */
  countsSince(mark: number): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { backend } of this.calls.slice(mark)) counts.set(backend, (counts.get(backend) ?? 0) + 1);
    return counts;
  }

  /** True once every backend in `names` answered a call after `mark`. */
  reached(names: Iterable<string>, mark = 0): boolean {
    const seen = this.countsSince(mark);
    return [...names].every((name) => seen.has(name));
  }

  /** True once the last `window` calls all landed on backends in `names`. */
  settledOn(names: ReadonlySet<string>, window = 20): boolean {
    return this.calls.length >= window && this.calls.slice(-window).every((call) => names.has(call.backend));
  }

  async waitForCalls(count: number, after = this.mark, timeoutMs = 30_000): Promise<void> {
    await waitFor(`${this.name} to make ${count} more calls`, () => this.calls.length >= after + count || this.#dead(), { timeoutMs });
    this.#assertAlive();
  }

  async waitToReach(names: readonly string[], mark = 0, timeoutMs = 30_000): Promise<void> {
    await waitFor(`${this.name} to reach ${names.join(', ')}`, () => this.reached(names, mark) || this.#dead(), { timeoutMs }).catch((error) => {
      throw new Error(`${(error as Error).message}; since the mark it reached ${JSON.stringify([...this.countsSince(mark)])}; ${this.describeFailures()}`);
    });
    this.#assertAlive();
  }

  pause(): void {
    this.#program.child.stdin!.write('pause\n');
  }

  resume(): void {
    this.#program.child.stdin!.write('resume\n');
  }

  /** Ends the run (standard input closes) and returns the client's own summary. */
  async stop(timeoutMs = 15_000): Promise<ClientSummary> {
    this.#program.child.stdin!.end();
    const timer = setTimeout(() => this.#program.child.kill('SIGKILL'), timeoutMs);
    const code = await this.#program.exited;
    clearTimeout(timer);
    if (this.#broken) throw new Error(this.#broken);
    if (code !== 0 || !this.#summary) throw new Error(`${this.name} exited with ${code} and no summary: ${this.#program.stderr()}`);
    return this.#summary;
  }

  kill(): void {
    this.#program.child.kill('SIGKILL');
  }

  describeFailures(): string {
    if (this.failures.length === 0) return 'no failed calls';
    const first = this.failures[0]!;
    return `${this.failures.length} failed calls, the first at ${first.ms} ms: ${first.code} ${first.details}`;
  }

  #dead(): boolean {
    return this.#program.child.exitCode !== null || this.#broken !== undefined;
  }

  #assertAlive(): void {
    if (this.#broken) throw new Error(this.#broken);
    if (this.#dead()) throw new Error(`${this.name} exited (${this.#program.child.exitCode}): ${this.#program.stderr()}`);
  }
}

export interface BackendListener {
  readonly name: string;
  readonly protocol: 'grpc' | 'http';
  readonly address: string;
  readonly port: number;
}

/** One Go backend process serving several "pods", each on its own address. */
export class PeerBackends {
  readonly listeners: readonly BackendListener[];
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;

  private constructor(listeners: BackendListener[], child: ChildProcess, exited: Promise<number | null>) {
    this.listeners = listeners;
    this.#child = child;
    this.#exited = exited;
  }

  /**
   * `grpc` and `http` list NAME=HOST:PORT listeners (port 0 picks one); `delayMs` and `fail`
   * make gRPC listeners, by name, answer late or fail every call with a status (UNAVAILABLE, ...).
   */
  static async start({ grpc = [], http = [], delayMs = {}, fail = {} }: { grpc?: readonly string[]; http?: readonly string[]; delayMs?: Readonly<Record<string, number>>; fail?: Readonly<Record<string, string>> }): Promise<PeerBackends> {
    const args = [
      ...grpc.flatMap((spec) => ['--grpc', spec]),
      ...http.flatMap((spec) => ['--http', spec]),
      ...Object.entries(delayMs).flatMap(([name, ms]) => ['--delay-ms', `${name}=${ms}`]),
      ...Object.entries(fail).flatMap(([name, code]) => ['--fail', `${name}=${code}`]),
    ];
    const listeners: BackendListener[] = [];
    const program = startProgram(peers().backend.command, args, {}, (line) => {
      let event: { event?: string; name: string; protocol: 'grpc' | 'http'; address: string };
      try {
        event = JSON.parse(line);
      } catch {
        return; // not a serving line: the wait below reports what is missing
      }
      if (event.event !== 'serving') return;
      const at = event.address.lastIndexOf(':');
      listeners.push({ name: event.name, protocol: event.protocol, address: event.address.slice(0, at), port: Number(event.address.slice(at + 1)) });
    });
    const expected = grpc.length + http.length;
    const backends = new PeerBackends(listeners, program.child, program.exited);
    await waitFor('the backends to listen', () => listeners.length === expected || program.child.exitCode !== null).catch(() => {});
    if (listeners.length !== expected) {
      await backends.stop();
      throw new Error(`the backends did not all listen: ${program.stderr()}`);
    }
    return backends;
  }

  get(name: string): BackendListener {
    const listener = this.listeners.find((candidate) => candidate.name === name);
    if (!listener) throw new Error(`no backend ${name}`);
    return listener;
  }

  async stop(): Promise<void> {
    this.#child.stdin!.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
    await this.#exited;
    clearTimeout(timer);
  }
}
