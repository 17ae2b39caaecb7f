// A real Envoy (the pinned peer) started from `kube-xds bootstrap envoy` output, with its
// admin endpoint on a free loopback port, and what a test reads from that endpoint.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapText } from '../../bin/bootstrap-command.ts';
import { freePort } from './cli-control-plane.ts';
import { peers } from './peers.ts';
import { waitFor } from './wait.ts';

export interface EnvoyHost {
  readonly address: string;
  readonly port: number;
  /** HEALTHY, DRAINING, ... as Envoy took it from EDS. */
  readonly edsHealth: string;
}

export class EnvoyProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  readonly #admin: string;
  readonly #dir: string;
  #log = '';

  private constructor(child: ChildProcess, adminPort: number, dir: string) {
    this.#child = child;
    this.#admin = `http://127.0.0.1:${adminPort}`;
    this.#dir = dir;
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-8_000);
    });
  }

  /** Starts Envoy with the bootstrap the CLI prints for `role`, and waits until it is live. */
  static async start({ role, xdsAddress, nodeId = `envoy-${role}` }: { role: 'gateway' | 'sidecar'; xdsAddress: string; nodeId?: string }): Promise<EnvoyProcess> {
    const adminPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'kube-xds-envoy-'));
    const bootstrap = join(dir, 'envoy.yaml');
    writeFileSync(bootstrap, bootstrapText(['envoy', '--role', role, '--xds-address', xdsAddress, '--node-id', nodeId, '--admin-address', `127.0.0.1:${adminPort}`]));
    const [command, ...args] = peers().envoy.command;
    const child = spawn(command!, [...args, '-c', bootstrap, '--disable-hot-restart', '--concurrency', '1', '-l', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const envoy = new EnvoyProcess(child, adminPort, dir);
    await waitFor('Envoy to be live', async () => child.exitCode !== null || (await envoy.admin('/ready')).trim() === 'LIVE', { timeoutMs: 30_000 });
    if (child.exitCode !== null) throw new Error(`Envoy exited with ${child.exitCode}: ${envoy.#log}`);
    return envoy;
  }

  async admin(path: string): Promise<string> {
    const response = await fetch(`${this.#admin}${path}`, { signal: AbortSignal.timeout(5_000) });
    return response.text();
  }

  /** Counters and gauges by name. */
  async stats(): Promise<Map<string, number>> {
    const stats = new Map<string, number>();
    for (const line of (await this.admin('/stats')).split('\n')) {
      const match = /^(\S+): (\d+)$/.exec(line);
      if (match) stats.set(match[1]!, Number(match[2]));
    }
    return stats;
  }

  /** Every `*.update_rejected` stat that is not zero: a config Envoy refused. */
  async rejectedUpdates(): Promise<string[]> {
    return [...(await this.stats())].filter(([name, value]) => name.endsWith('.update_rejected') && value > 0).map(([name, value]) => `${name}: ${value}`);
  }

  /** What Envoy holds as warming (a cluster waiting for its endpoints, a listener for its routes), per /config_dump. */
  async warming(): Promise<string[]> {
    const clusters = await this.#configDump<{ cluster?: { name?: string } }>('dynamic_warming_clusters');
    const listeners = await this.#configDump<{ name?: string; warming_state?: object }>('dynamic_listeners');
    return [
      ...clusters.map((config) => `cluster ${config.cluster?.name}`),
      ...listeners.filter((listener) => listener.warming_state).map((listener) => `listener ${listener.name}`),
    ];
  }

  /** Names of the clusters that are active. */
  async activeClusters(): Promise<string[]> {
    return (await this.#configDump<{ cluster?: { name?: string } }>('dynamic_active_clusters')).map((config) => config.cluster?.name ?? '?');
  }

  async #configDump<T>(resource: string): Promise<T[]> {
    return (JSON.parse(await this.admin(`/config_dump?resource=${resource}`)) as { configs?: T[] }).configs ?? [];
  }

  /** The hosts of one cluster with the health Envoy took from EDS. */
  async hosts(cluster: string): Promise<EnvoyHost[]> {
    const clusters = JSON.parse(await this.admin('/clusters?format=json')) as {
      cluster_statuses?: Array<{ name: string; host_statuses?: Array<{ address: { socket_address: { address: string; port_value: number } }; health_status: { eds_health_status?: string } }> }>;
    };
    const status = clusters.cluster_statuses?.find((candidate) => candidate.name === cluster);
    return (status?.host_statuses ?? []).map((host) => ({
      address: host.address.socket_address.address,
      port: host.address.socket_address.port_value,
      edsHealth: host.health_status.eds_health_status ?? 'HEALTHY',
    }));
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null) {
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
      await this.#exited;
      clearTimeout(timer);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
