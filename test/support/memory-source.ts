// A ModelSource held in memory: tests and benchmarks put and remove Service models and it
// announces each batch as a real source would.
import { gatewayChangeKey, gatewayKey, type GatewayModel } from '../../k8s/gateway-model.ts';
import { serviceKey, type ServiceModel } from '../../k8s/model.ts';
import type { ModelSource, SourceStatus } from '../../k8s/source.ts';

export class MemorySource implements ModelSource {
  readonly #services = new Map<string, ServiceModel>();
  readonly #gateways = new Map<string, GatewayModel>();
  readonly #listeners: Array<(changed: ReadonlySet<string>) => void> = [];

  constructor(services: Iterable<ServiceModel> = []) {
    for (const service of services) this.#services.set(serviceKey(service.namespace, service.name), service);
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  services(): ReadonlyMap<string, ServiceModel> {
    return this.#services;
  }

  gateways(): ReadonlyMap<string, GatewayModel> {
    return this.#gateways;
  }

  /** Replaces (or adds) a Gateway, or removes it (`undefined` with its key), and tells the listeners. */
  putGateway(gateway: GatewayModel): void {
    const key = gatewayKey(gateway.namespace, gateway.name);
    this.#gateways.set(key, gateway);
    this.#announce(new Set([gatewayChangeKey(key)]));
  }

  removeGateway(key: string): void {
    this.#gateways.delete(key);
    this.#announce(new Set([gatewayChangeKey(key)]));
  }

  onChange(listener: (changed: ReadonlySet<string>) => void): void {
    this.#listeners.push(listener);
  }

  status(): SourceStatus {
    return { synced: true, connected: true, badObjects: 0, rejectedObjects: 0, duplicateObjects: 0, restarts: 0 };
  }

  /** Replaces (or adds) Services and tells the listeners, as one batch. */
  put(...services: ServiceModel[]): void {
    const changed = new Set<string>();
    for (const service of services) {
      const key = serviceKey(service.namespace, service.name);
      this.#services.set(key, service);
      changed.add(key);
    }
    this.#announce(changed);
  }

  remove(...keys: string[]): void {
    for (const key of keys) this.#services.delete(key);
    this.#announce(new Set(keys));
  }

  #announce(changed: ReadonlySet<string>): void {
    for (const listener of this.#listeners) listener(changed);
  }
}
