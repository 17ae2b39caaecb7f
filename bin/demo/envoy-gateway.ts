// The demo's Envoy gateway: a real Envoy started from the bootstrap that
// `kube-xds bootstrap envoy --role gateway` prints, everything else coming over ADS.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { envoyBootstrapYaml } from '../../envoy-config/bootstrap-envoy.ts';

export interface EnvoyGatewayOptions {
  /** The Envoy binary. */
  readonly path: string;
  /** Where the bootstrap file goes. */
  readonly dir: string;
  readonly nodeId: string;
  readonly xdsPort: number;
  /** The port the control plane was told with --gateway-port. */
  readonly gatewayPort: number;
  readonly adminPort: number;
}

export class EnvoyGateway {
  readonly gatewayPort: number;
  readonly adminPort: number;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #running = true;
  #exit = '';
  #stderr = '';

  private constructor(child: ChildProcess, options: EnvoyGatewayOptions) {
    this.#child = child;
    this.gatewayPort = options.gatewayPort;
    this.adminPort = options.adminPort;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#running = false;
        this.#exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        resolve();
      });
      // A spawn that fails (the binary vanished) emits 'error' and no 'exit'.
      child.once('error', (error) => {
        this.#running = false;
        this.#exit = `did not start (${error.message})`;
        resolve();
      });
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-4_000);
    });
  }

  /** Writes the gateway bootstrap into `dir` and spawns Envoy; it serves after `waitUntilServing`. */
  static async start(options: EnvoyGatewayOptions): Promise<EnvoyGateway> {
    const bootstrap = join(options.dir, 'envoy-gateway.yaml');
    await writeFile(
      bootstrap,
      envoyBootstrapYaml({
        role: 'gateway',
        nodeId: options.nodeId,
        nodeCluster: 'kube-xds',
        xdsHost: '127.0.0.1',
        xdsPort: options.xdsPort,
        adminAddress: '127.0.0.1',
        adminPort: options.adminPort,
      }),
    );
    const child = spawn(options.path, ['-c', bootstrap, '--disable-hot-restart', '--concurrency', '1', '-l', 'error'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return new EnvoyGateway(child, options);
  }

  /**
   * Waits until Envoy's admin /ready says LIVE, the gateway port accepts connections, and
   * `firstCall` (a call through the gateway, made only then) succeeds.
   */
  async waitUntilServing(firstCall: () => Promise<unknown>, { timeoutMs = 20_000, signal }: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let waitingFor = 'its admin /ready to say LIVE';
    let lastProblem = '';
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['its admin /ready to say LIVE', () => this.#live()],
      [`the gateway listener on port ${this.gatewayPort} to accept connections`, () => accepts(this.gatewayPort)],
      ['a call through the gateway to succeed', firstCall],
    ];
    for (const [description, step] of steps) {
      waitingFor = description;
      lastProblem = '';
      for (;;) {
        signal?.throwIfAborted();
        if (!this.#running) throw new Error(`Envoy ${this.#exit} while the demo waited for ${waitingFor}${this.#log()}`);
        try {
          await step();
          break;
        } catch (error) {
          lastProblem = (error as Error).message;
        }
        if (Date.now() > deadline) {
          throw new Error(`Envoy did not serve within ${timeoutMs / 1_000} s: still waiting for ${waitingFor}${lastProblem && ` (last: ${lastProblem})`}${this.#log()}`);
        }
        await sleep(25, undefined, { signal });
      }
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once Envoy has exited. */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.#running) {
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
  }

  async #live(): Promise<void> {
    const response = await fetch(`http://127.0.0.1:${this.adminPort}/ready`, { signal: AbortSignal.timeout(1_000) });
    const state = (await response.text()).trim();
    if (state !== 'LIVE') throw new Error(`/ready says ${state}`);
  }

  #log(): string {
    const tail = this.#stderr.trim();
    return tail ? `; Envoy's log ends:\n${tail}` : '';
  }
}

/** A port that was free a moment ago, on every interface (Envoy's gateway listens on 0.0.0.0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(1_000, () => socket.destroy(new Error('connect timed out')));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}
