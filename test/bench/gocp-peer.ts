// The go-control-plane reference peer (test/peers/go/gocp): go-control-plane v0.14.0's
// snapshot cache and state-of-the-world ADS server in a Go process of its own, fed kube-xds's
// own encoded resources, so that benchmarks can drive the same clients against both.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Resource } from '../../control-plane/resource.ts';
import type { TypeUrl } from '../../control-plane/types.ts';
import { peers } from '../support/peers.ts';

export type Resources = ReadonlyMap<TypeUrl, readonly Resource[]>;

export interface SetResult {
  /** The snapshot's version (a counter). */
  readonly version: string;
  /** How long SetSnapshot took in the Go process (it hands responses to the streams' goroutines). */
  readonly ms: number;
  /** How long building the snapshot took before it. */
  readonly buildMs: number;
  /** Resources in the snapshot, every type. */
  readonly resources: number;
  /** Each type's version: it moves only when that type's resources changed. */
  readonly versions: Readonly<Record<string, string>>;
}

export interface GocpOptions {
  /** The cache's ADS mode: it answers a request only when the request names every resource of its type. */
  readonly ads?: boolean;
  /** Every type takes the snapshot's version, so any change resends every type. */
  readonly oneVersion?: boolean;
}

interface Pending {
  resolve(result: SetResult): void;
  reject(error: Error): void;
}

export class GocpPeer {
  /** HOST:PORT of its ADS server. */
  readonly address: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  readonly #pending: Pending[] = [];
  /** The tail of its standard error. */
  readonly #stderr: { text: string };

  private constructor(child: ChildProcess, exited: Promise<number | null>, port: number, stderr: { text: string }) {
    this.#child = child;
    this.#exited = exited;
    this.address = `127.0.0.1:${port}`;
    this.#stderr = stderr;
  }

  /** The Go process, for its CPU time and memory (/proc/PID). */
  get pid(): number {
    return this.#child.pid!;
  }

  static async start(options: GocpOptions = {}): Promise<GocpPeer> {
    const command = peers().gocp.command;
    const args = ['--address', '127.0.0.1:0', ...(options.ads ? ['--ads'] : []), ...(options.oneVersion ? ['--one-version'] : [])];
    const child = spawn(command[0]!, [...command.slice(1), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const stderr = { text: '' };
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr.text = (stderr.text + chunk.toString()).slice(-4_000);
    });
    // A command written after the process exited fails with EPIPE; the pending promise reports the exit.
    child.stdin!.on('error', () => {});
    const lines = createInterface({ input: child.stdout! });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      exited.then((code) => reject(new Error(`the go-control-plane peer exited (${code}) before listening: ${stderr.text}`)));
      lines.once('line', (line) => {
        const event = parse(line);
        if (event?.event === 'listening' && typeof event.port === 'number') resolve(event.port);
        else reject(new Error(`the go-control-plane peer printed ${line} instead of its port`));
      });
    }).catch((error: Error) => {
      child.kill('SIGKILL');
      throw error;
    });
    const peer = new GocpPeer(child, exited, port, stderr);
    lines.on('line', (line) => peer.#onLine(line));
    exited.then((code) => {
      for (const pending of peer.#pending.splice(0)) pending.reject(new Error(`the go-control-plane peer exited (${code}): ${stderr.text}`));
    });
    return peer;
  }

  /** Replaces the whole set (types left out become empty) and sets a new snapshot. */
  set(resources: Resources): Promise<SetResult> {
    return this.#send('set', resources);
  }

  /** Replaces the given resources by name, keeps the rest, and sets a new snapshot. */
  update(resources: Resources): Promise<SetResult> {
    return this.#send('update', resources);
  }

  /** Closes its standard input (it exits 0), or kills it after `timeoutMs`. */
  async stop(timeoutMs = 5_000): Promise<number | null> {
    this.#child.stdin!.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    const code = await this.#exited;
    clearTimeout(timer);
    return code;
  }

  #send(op: 'set' | 'update', resources: Resources): Promise<SetResult> {
    const encoded: Record<string, string[]> = {};
    for (const [type, list] of resources) encoded[type] = list.map((resource) => Buffer.from(resource.any).toString('base64'));
    return new Promise((resolve, reject) => {
      if (this.#child.exitCode !== null) return reject(new Error(`the go-control-plane peer has exited (${this.#child.exitCode}): ${this.#stderr.text}`));
      // Answers come back in command order.
      this.#pending.push({ resolve, reject });
      this.#child.stdin!.write(`${JSON.stringify({ op, resources: encoded })}\n`);
    });
  }

  #onLine(line: string): void {
    const event = parse(line);
    const pending = this.#pending.shift();
    if (!pending) return; // nothing asked: not an answer
    if (event?.event === 'set') {
      pending.resolve({
        version: String(event.version),
        ms: Number(event.ms),
        buildMs: Number(event.build_ms),
        resources: Number(event.resources),
        versions: (event.versions ?? {}) as Record<string, string>,
      });
    } else if (event?.event === 'error') {
      pending.reject(new Error(`the go-control-plane peer refused the command: ${String(event.message)}`));
    } else {
      pending.reject(new Error(`the go-control-plane peer answered ${line}`));
    }
  }
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
