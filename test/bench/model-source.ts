// An in-memory ModelSource for benchmarks that skip Kubernetes: generated Services whose
// models the bench edits in place, then announces the change as a real source would.
import type { EndpointModel, ServiceModel } from '../../k8s/model.ts';
import { serviceKey } from '../../k8s/model.ts';
import type { ModelSource, SourceStatus } from '../../k8s/source.ts';

const zones = ['zone-a', 'zone-b', 'zone-c'];

/** `count` endpoints for Service number `index`, with a `generation` folded into the addresses. */
export function generatedEndpoints(index: number, count: number, generation = 0, port = 8080): EndpointModel[] {
  const endpoints: EndpointModel[] = [];
  for (let e = 0; e < count; e++) {
    const host = ((generation * count + e) % 250) + 1;
    endpoints.push({ address: `10.${(index >> 8) & 255}.${index & 255}.${host}`, port, zone: zones[e % zones.length]!, health: 'HEALTHY', pod: `pod-${index}-${host}` });
  }
  return endpoints.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
}

export function generatedService(index: number, endpointsPerService: number, generation = 0): ServiceModel {
  return {
    namespace: `ns-${String(index % 100).padStart(2, '0')}`,
    name: `svc-${String(index).padStart(5, '0')}`,
    ports: [{ name: 'grpc', port: 50051, protocol: 'TCP', appProtocol: 'grpc', endpoints: generatedEndpoints(index, endpointsPerService, generation) }],
    ipFamily: 'IPv4',
    annotations: {},
  };
}

export class MemorySource implements ModelSource {
  readonly #services = new Map<string, ServiceModel>();
  readonly #listeners: Array<(changed: ReadonlySet<string>) => void> = [];

  constructor(services: Iterable<ServiceModel>) {
    for (const service of services) this.#services.set(serviceKey(service.namespace, service.name), service);
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  services(): ReadonlyMap<string, ServiceModel> {
    return this.#services;
  }

  onChange(listener: (changed: ReadonlySet<string>) => void): void {
    this.#listeners.push(listener);
  }

  status(): SourceStatus {
    return { synced: true, connected: true, badObjects: 0, restarts: 0 };
  }

  /** Replaces (or adds) Services and tells the listeners, as one batch. */
  put(...services: ServiceModel[]): void {
    const changed = new Set<string>();
    for (const service of services) {
      const key = serviceKey(service.namespace, service.name);
      this.#services.set(key, service);
      changed.add(key);
    }
    for (const listener of this.#listeners) listener(changed);
  }
}
