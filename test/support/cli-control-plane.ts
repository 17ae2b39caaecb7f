// The control plane as users run it: the CLI in a process of its own, which a test can kill
// with SIGKILL and start again on the same ports, and read through its admin endpoint. Both
// HTTP listeners are on loopback: the admin one (everything) and the probe one (probes and
// metrics only).
import { spawn, type ChildProcess } from 'node:child_process';
import type { StreamStatus } from '../../control-plane/stream-status.ts';
import type { TypeUrl } from '../../control-plane/types.ts';
import { freePort } from '../../bin/demo/free-port.ts';
import { waitFor } from './wait.ts';

const cli = new URL('../../bin/kube-xds.js', import.meta.url).pathname;

export class CliControlPlane {
  /** The plaintext xDS address (unless `args` turned it off). */
  readonly xdsAddress: string;
  /** The admin listener: the status page, /debug/ views, probes and metrics. */
  readonly adminUrl: string;
  /** The probe listener: /healthz, /readyz and /metrics only. */
  readonly probeUrl: string;
  readonly #args: readonly string[];
  #child?: ChildProcess;
  #exited?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The end of what the process logged (warnings and errors unless `--log-level` says more). */
  #log = '';

  private constructor(xdsPort: number, adminPort: number, probePort: number, args: readonly string[]) {
    this.xdsAddress = `127.0.0.1:${xdsPort}`;
    this.adminUrl = `http://127.0.0.1:${adminPort}`;
    this.probeUrl = `http://127.0.0.1:${probePort}`;
    const defaults: [string, string][] = [['--xds-address', this.xdsAddress], ['--admin-address', `127.0.0.1:${adminPort}`], ['--probe-address', `127.0.0.1:${probePort}`], ['--log-level', 'warn']];
    this.#args = ['serve', ...defaults.filter(([flag]) => !args.includes(flag)).flat(), ...args];
  }

  /** Starts `kube-xds serve` with `args` (beside its addresses; a flag given there replaces its default) and waits until it is ready. */
  static async start(args: readonly string[]): Promise<CliControlPlane> {
    const controlPlane = new CliControlPlane(await freePort('127.0.0.1'), await freePort('127.0.0.1'), await freePort('127.0.0.1'), args);
    await controlPlane.restart();
    return controlPlane;
  }

  /** Starts the process again (after kill) on the same ports, and waits until it is ready. */
  async restart({ waitReady = true } = {}): Promise<void> {
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null) throw new Error('the control plane is still running');
    const child = spawn(process.execPath, [cli, ...this.#args], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-32_000);
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    if (!waitReady) return;
    try {
      await waitFor('the control plane to be ready', async () => child.exitCode !== null || (await this.#get('/readyz')).ok, { timeoutMs: 30_000 });
    } catch (error) {
      await this.kill();
      throw new Error(`${(error as Error).message}; its log ends: ${this.#log.slice(-4_000)}`);
    }
    if (child.exitCode !== null) throw new Error(`the control plane exited with ${child.exitCode}: ${this.#log.slice(-4_000)}`);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const exited = this.#exited!;
    this.#child?.kill(signal);
    return exited;
  }

  async stop(): Promise<void> {
    if (this.#child?.exitCode === null && this.#child.signalCode === null) await this.kill('SIGTERM');
  }

  /** The last 32 kB the process logged (all its runs), one JSON object a line. */
  logged(): string {
    return this.#log;
  }

  /** An admin view, e.g. `/debug/model`, parsed. */
  async debugView<T>(path: string): Promise<T> {
    return (await this.#get(path)).json() as Promise<T>;
  }

  /** Every connected stream (`/debug/clients`). */
  async streams(): Promise<StreamStatus[]> {
    return (await this.#get('/debug/clients')).json() as Promise<StreamStatus[]>;
  }

  /** The version of `type` each node's stream last ACKed, by node id. */
  async ackedVersions(type: TypeUrl): Promise<Map<string, string | undefined>> {
    return new Map((await this.streams()).map((stream) => [stream.nodeId ?? '', stream.types.find((status) => status.type === type)?.ackedVersion]));
  }

  /** NACKs since this process started, from every stream, open or closed. */
  async nacks(): Promise<number> {
    const metrics = await (await this.#get('/metrics')).text();
    let total = 0;
    for (const match of metrics.matchAll(/^kube_xds_nacks_total\{[^}]*\} (\d+)$/gm)) total += Number(match[1]);
    return total;
  }

  /** Every NACK message the connected streams recorded last, for a failure message. */
  async nackMessages(): Promise<string[]> {
    return (await this.streams()).flatMap((stream) =>
      stream.types.flatMap((type) => (type.lastNack ? [`${stream.userAgent} ${type.type}: ${type.lastNack.message}`] : [])),
    );
  }

  #get(path: string): Promise<Response> {
    return fetch(`${this.adminUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
  }
}
