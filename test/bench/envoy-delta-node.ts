// An Envoy-like node on an incremental (DeltaAggregatedResources) stream, driven the way Envoy
// drives it: wildcard CDS and LDS, then EDS for every cluster it is given and RDS for every
// RouteConfiguration its listeners name, ACKing every response. Each response is handed to a
// callback with its arrival time and size, so a bench can count what a change costs on the wire.
import { TypeUrl } from '../../control-plane/types.ts';
import { envoy } from '../../generated/envoy.js';
import { RawDeltaClient, type DeltaResponse } from '../support/raw-delta-client.ts';
import { wallNow } from './stats.ts';

type Node = envoy.config.core.v3.INode;

const managerType = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

export class EnvoyDeltaNode {
  readonly #client: RawDeltaClient;
  readonly #endpoints = new Set<string>();
  readonly #routes = new Set<string>();
  readonly #onResponse: (response: DeltaResponse, at: number) => void;
  #closed = false;
  /** Why the stream ended while the bench still used it. */
  failure?: string;

  constructor(address: string, node: Node, onResponse: (response: DeltaResponse, at: number) => void = () => {}) {
    this.#onResponse = onResponse;
    this.#client = new RawDeltaClient(address, node);
    this.#client.request(TypeUrl.Cluster);
    this.#client.request(TypeUrl.Listener);
    void this.#serve();
  }

  /** name -> version of what the node holds of `type`. */
  held(type: TypeUrl): Map<string, string> {
    return this.#client.held(type);
  }

  async #serve(): Promise<void> {
    for (;;) {
      let response: DeltaResponse;
      try {
        response = await this.#client.next(3_600_000);
      } catch (error) {
        if (!this.#closed) this.failure = (error as Error).message;
        return;
      }
      const at = wallNow();
      this.#client.ack(response);
      if (response.type === TypeUrl.Cluster) this.#subscribe(TypeUrl.Endpoint, this.#endpoints, response.resources.map((r) => r.name));
      if (response.type === TypeUrl.Listener) this.#subscribe(TypeUrl.Route, this.#routes, response.resources.flatMap((r) => routeNames(r.any?.value)));
      this.#onResponse(response, at);
    }
  }

  #subscribe(type: TypeUrl, subscribed: Set<string>, names: readonly string[]): void {
    const added = names.filter((name) => !subscribed.has(name));
    for (const name of added) subscribed.add(name);
    if (added.length > 0) this.#client.request(type, { subscribe: added });
  }

  close(): void {
    this.#closed = true;
    this.#client.close();
  }
}

/** The RouteConfigurations a Listener's HttpConnectionManagers take from RDS. */
function routeNames(listenerBytes: Uint8Array | null | undefined): string[] {
  if (!listenerBytes) return [];
  const listener = envoy.config.listener.v3.Listener.decode(listenerBytes);
  const chains = [...listener.filter_chains, ...(listener.default_filter_chain ? [listener.default_filter_chain] : [])];
  return chains.flatMap((chain) =>
    (chain.filters ?? []).flatMap((filter) => {
      if (filter.typed_config?.type_url !== managerType || !filter.typed_config.value) return [];
      const manager = envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.decode(filter.typed_config.value);
      return manager.rds?.route_config_name ? [manager.rds.route_config_name] : [];
    }),
  );
}
