// The gateway role's virtual hosts of each Gateway (k8s/gateway-model.ts), encoded once per
// Gateway change: a Gateway or its Routes changing rebuilds that Gateway's hosts alone, never
// a Service. A build that throws keeps the Gateway's previous hosts.
import { describeError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import type { EnvoyConfigOptions } from '../envoy-config/options.ts';
import { gatewayChangeKey, type GatewayModel } from '../k8s/gateway-model.ts';
import type { Builders } from './builders.ts';
import { encodeVirtualHost, type EncodedVirtualHost } from './virtual-host-bytes.ts';

export class GatewayStates {
  readonly #options: EnvoyConfigOptions;
  readonly #builders: Builders;
  /** By the Gateway's change key, the key its hosts are placed under in the routing tables. */
  readonly #hosts = new Map<string, readonly EncodedVirtualHost[]>();
  #failedBuilds = 0;

  constructor(options: EnvoyConfigOptions, builders: Builders) {
    this.#options = options;
    this.#builders = builders;
  }

  get failedBuilds(): number {
    return this.#failedBuilds;
  }

  /** Every Gateway's hosts by change key. */
  entries(): IterableIterator<[string, readonly EncodedVirtualHost[]]> {
    return this.#hosts.entries();
  }

  get(changeKey: string): readonly EncodedVirtualHost[] | undefined {
    return this.#hosts.get(changeKey);
  }

  buildAll(gateways: ReadonlyMap<string, GatewayModel>): void {
    for (const [key, gateway] of gateways) this.#rebuild(gatewayChangeKey(key), gateway);
  }

  /** Brings these Gateways (by `namespace/name`) up to date; returns their change keys. */
  apply(keys: Iterable<string>, gateways: ReadonlyMap<string, GatewayModel>): Set<string> {
    const changed = new Set<string>();
    for (const key of keys) {
      const changeKey = gatewayChangeKey(key);
      const gateway = gateways.get(key);
      if (gateway === undefined) this.#hosts.delete(changeKey);
      else this.#rebuild(changeKey, gateway);
      changed.add(changeKey);
    }
    return changed;
  }

  #rebuild(changeKey: string, gateway: GatewayModel): void {
    try {
      this.#hosts.set(changeKey, this.#builders.gatewayVirtualHosts(gateway, this.#options).map(encodeVirtualHost));
    } catch (error) {
      this.#failedBuilds++;
      log.error({ gateway: changeKey, error: describeError(error) }, 'cannot build a Gateway; keeping its previous virtual hosts');
    }
  }
}
