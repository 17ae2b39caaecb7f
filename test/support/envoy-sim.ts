// Envoy's side of an ADS conversation, as far as the control plane can tell: wildcard CDS
// and LDS, then EDS for every EDS cluster and RDS for every route name its listeners use,
// ACKing everything. It keeps the resource set it holds, like Envoy's config dump.
import { envoy, type google } from '../../generated/envoy.js';
import { TypeUrl } from '../../control-plane/types.ts';
import { nameOf, type RawAdsClient, type Response } from './raw-ads-client.ts';

const { Cluster: CDS, Endpoint: EDS, Listener: LDS, Route: RDS } = TypeUrl;
const hcmType = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

export class EnvoySim {
  readonly #client: RawAdsClient;
  /** What Envoy holds, by type and name: the resource's encoded bytes. */
  readonly held = new Map<string, Map<string, Uint8Array>>([[CDS, new Map()], [EDS, new Map()], [LDS, new Map()], [RDS, new Map()]]);
  readonly responses: Response[] = [];
  readonly #loop: Promise<void>;

  constructor(client: RawAdsClient) {
    this.#client = client;
    client.request(CDS, []);
    client.request(LDS, []);
    this.#loop = this.#run();
  }

  /** The held set in the shape the envoy-check validator takes. */
  resourceSet(): { listeners: Uint8Array[]; routes: Uint8Array[]; clusters: Uint8Array[]; endpoints: Uint8Array[] } {
    const values = (type: string) => [...this.held.get(type)!.values()];
    return { listeners: values(LDS), routes: values(RDS), clusters: values(CDS), endpoints: values(EDS) };
  }

  names(type: string): string[] {
    return [...this.held.get(type)!.keys()].sort();
  }

  async #run(): Promise<void> {
    for (;;) {
      let response: Response;
      try {
        response = await this.#client.next(3_600_000);
      } catch {
        return; // closed
      }
      this.responses.push(response);
      const held = this.held.get(response.type)!;
      if (response.type === CDS || response.type === LDS) held.clear(); // full state
      response.resources.forEach((any) => held.set(nameOf(any), any.value ?? new Uint8Array()));
      this.#ack(response.type);
      if (response.type === CDS) this.#client.request(EDS, this.#edsNames());
      if (response.type === LDS) this.#client.request(RDS, this.#routeNames());
    }
  }

  #ack(type: string): void {
    if (type === CDS || type === LDS) this.#client.request(type, []);
    else this.#client.request(type, type === EDS ? this.#edsNames() : this.#routeNames());
  }

  #edsNames(): string[] {
    return [...this.held.get(CDS)!.values()]
      .map((bytes) => envoy.config.cluster.v3.Cluster.decode(bytes))
      .filter((cluster) => cluster.type === envoy.config.cluster.v3.Cluster.DiscoveryType.EDS)
      .map((cluster) => cluster.eds_cluster_config?.service_name || cluster.name)
      .sort();
  }

  #routeNames(): string[] {
    const names = new Set<string>();
    for (const bytes of this.held.get(LDS)!.values()) {
      const listener = envoy.config.listener.v3.Listener.decode(bytes);
      for (const chain of listener.filter_chains ?? []) {
        for (const filter of chain.filters ?? []) {
          const config = filter.typed_config as google.protobuf.IAny | null | undefined;
          if (config?.type_url !== hcmType) continue;
          const hcm = envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.decode(config.value!);
          if (hcm.rds?.route_config_name) names.add(hcm.rds.route_config_name);
        }
      }
    }
    return [...names].sort();
  }

  async stop(): Promise<void> {
    this.#client.close();
    await this.#loop;
  }
}
