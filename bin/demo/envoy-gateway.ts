// The demo's Envoy gateway: a real Envoy started from the bootstrap that
// `kube-xds bootstrap envoy --role gateway` prints, everything else coming over ADS.
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { envoyBootstrapYaml } from '../../envoy-config/bootstrap-envoy.ts';
import { EnvoyProcess } from './envoy-process.ts';

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
  readonly #envoy: EnvoyProcess;

  private constructor(envoy: EnvoyProcess, gatewayPort: number) {
    this.#envoy = envoy;
    this.gatewayPort = gatewayPort;
  }

  get adminPort(): number {
    return this.#envoy.adminPort;
  }

  /** Writes the gateway bootstrap into `dir` and spawns Envoy; it serves after `waitUntilServing`. */
  static async start(options: EnvoyGatewayOptions): Promise<EnvoyGateway> {
    const bootstrapFile = join(options.dir, 'envoy-gateway.yaml');
    await writeFile(
      bootstrapFile,
      envoyBootstrapYaml({
        role: 'gateway',
        nodeId: options.nodeId,
        nodeCluster: 'kube-xds',
        xdsHost: '127.0.0.1',
        xdsPort: options.xdsPort,
        adminAddress: '127.0.0.1',
        adminPort: options.adminPort,
        // The probe listener is for kubelet; the demo needs none on the host's network.
        readyAddress: '127.0.0.1',
        readyPort: 0,
      }),
    );
    return new EnvoyGateway(EnvoyProcess.start({ path: options.path, bootstrapFile, adminPort: options.adminPort }), options.gatewayPort);
  }

  /**
   * Waits until Envoy's admin /ready says LIVE, the gateway port accepts connections, and
   * `firstCall` (a call through the gateway, made only then) succeeds.
   */
  async waitUntilServing(firstCall: () => Promise<unknown>, { timeoutMs = 20_000, signal }: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['its admin /ready to say LIVE', async () => {
        if (!(await this.#envoy.live())) throw new Error('not LIVE yet');
      }],
      [`the gateway listener on port ${this.gatewayPort} to accept connections`, () => accepts(this.gatewayPort)],
      ['a call through the gateway to succeed', firstCall],
    ];
    for (const [waitingFor, step] of steps) {
      let lastProblem = '';
      for (;;) {
        signal?.throwIfAborted();
        if (!this.#envoy.running) throw new Error(`${this.#envoy.describe()}\n(while the demo waited for ${waitingFor})`);
        try {
          await step();
          break;
        } catch (error) {
          lastProblem = (error as Error).message;
        }
        if (Date.now() > deadline) {
          throw new Error(`Envoy did not serve within ${timeoutMs / 1_000} s: still waiting for ${waitingFor}${lastProblem && ` (last: ${lastProblem})`}; ${this.#envoy.describe()}`);
        }
        await sleep(25, undefined, { signal });
      }
    }
  }

  stop(): Promise<void> {
    return this.#envoy.stop();
  }
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
