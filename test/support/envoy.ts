// A real Envoy (the pinned peer) started from `kube-xds bootstrap envoy` output, with its
// admin endpoint on a free loopback port, and what a test reads from that endpoint.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapText } from '../../bin/bootstrap-command.ts';
import { EnvoyProcess } from '../../bin/demo/envoy-process.ts';
import { freePort } from '../../bin/demo/free-port.ts';
import { envoyAdsVariants, type EnvoyAds } from '../../envoy-config/envoy-ads.ts';
import { peers } from './peers.ts';
import { waitFor } from './wait.ts';

export interface EnvoyHost {
  readonly address: string;
  readonly port: number;
  /** HEALTHY, DRAINING, ... as Envoy took it from EDS. */
  readonly edsHealth: string;
}

/** The ADS streams the real-Envoy suites run on unless KUBE_XDS_ENVOY_ADS names others. */
export const testedEnvoyAds: readonly EnvoyAds[] = ['sotw', 'delta'];

/** testedEnvoyAds, or those named in KUBE_XDS_ENVOY_ADS (comma-separated: sotw, delta); sotw first. */
export function selectedEnvoyAds(): EnvoyAds[] {
  const wanted = process.env.KUBE_XDS_ENVOY_ADS?.split(',').map((name) => name.trim()).filter(Boolean) ?? [];
  const unknown = wanted.filter((name) => !(envoyAdsVariants as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`KUBE_XDS_ENVOY_ADS names unknown ADS streams ${unknown.join(', ')}; known: ${envoyAdsVariants.join(', ')}`);
  const selected: readonly string[] = wanted.length ? wanted : testedEnvoyAds;
  return (['sotw', 'delta'] as const).filter((ads) => selected.includes(ads));
}

/** Envoy from the CLI's bootstrap, with what a test reads from its admin endpoint. */
export class TestEnvoy {
  readonly #process: EnvoyProcess;
  readonly #dir: string;

  private constructor(process: EnvoyProcess, dir: string) {
    this.#process = process;
    this.#dir = dir;
  }

  /**
   * Starts Envoy with the bootstrap the CLI prints for `role` (and `--ads`, when given; else
   * the CLI's default; and `bootstrapArgs`, e.g. TLS flags), and waits until it is live.
   */
  static async start({ role, xdsAddress, nodeId = `envoy-${role}`, ads, bootstrapArgs = [] }: { role: 'gateway' | 'sidecar'; xdsAddress: string; nodeId?: string; ads?: EnvoyAds; bootstrapArgs?: readonly string[] }): Promise<TestEnvoy> {
    const adminPort = await freePort('127.0.0.1');
    const dir = mkdtempSync(join(tmpdir(), 'kube-xds-envoy-'));
    const bootstrapFile = join(dir, 'envoy.yaml');
    const args = ['envoy', '--role', role, '--xds-address', xdsAddress, '--node-id', nodeId, '--admin-address', `127.0.0.1:${adminPort}`];
    if (role === 'gateway') args.push('--ready-address', '127.0.0.1:0');
    if (ads) args.push('--ads', ads);
    args.push(...bootstrapArgs);
    writeFileSync(bootstrapFile, bootstrapText(args));
    const envoy = new TestEnvoy(EnvoyProcess.start({ path: peers().envoy.command[0]!, bootstrapFile, adminPort, logLevel: 'warn' }), dir);
    try {
      await waitFor('Envoy to be live', async () => !envoy.#process.running || (await envoy.#process.live()), { timeoutMs: 30_000 });
      if (!envoy.#process.running) throw new Error('Envoy exited');
    } catch (error) {
      await envoy.stop();
      throw new Error(`${(error as Error).message}: ${envoy.#process.describe()}`);
    }
    return envoy;
  }

  admin(path: string): Promise<string> {
    return this.#process.admin(path);
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

  /** The ads_config.api_type of the bootstrap Envoy runs with, per /config_dump: GRPC or DELTA_GRPC. */
  async adsApiType(): Promise<string | undefined> {
    type Dump = { '@type'?: string; bootstrap?: { dynamic_resources?: { ads_config?: { api_type?: string } } } };
    const { configs = [] } = JSON.parse(await this.admin('/config_dump')) as { configs?: Dump[] };
    const dump = configs.find((config) => config['@type']?.endsWith('.BootstrapConfigDump'));
    return dump?.bootstrap?.dynamic_resources?.ads_config?.api_type;
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
    await this.#process.stop(5_000);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
