// Source -> builders -> snapshot cache. Changes are coalesced briefly; a change that only
// moves endpoints takes the fast path: the Service's ClusterLoadAssignments are rebuilt
// once (they are the same for every class) and patched into each class's snapshot, so
// only streams subscribed to them hear about it.
import { describeError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import { encodeResource, type Resource } from '../control-plane/resource.ts';
import { Snapshot } from '../control-plane/snapshot.ts';
import type { SnapshotCache } from '../control-plane/snapshot-cache.ts';
import { pushOrder, TypeUrl } from '../control-plane/types.ts';
import { clientClasses, type ClientClass, type ResourceSet } from '../envoy-config/resource-set.ts';
import { serviceLoadAssignments } from '../envoy-config/endpoints.ts';
import { serviceResources, sharedRouting } from '../envoy-config/build.ts';
import type { EnvoyConfigOptions } from '../envoy-config/options.ts';
import type { ServiceModel } from '../k8s/model.ts';
import type { ModelSource } from '../k8s/source.ts';

export interface PipelineOptions {
  readonly envoy: EnvoyConfigOptions;
  /** A flush waits until changes have been quiet this long… */
  readonly coalesceWindowMs: number;
  /** …but never longer than this after the first pending change. */
  readonly coalesceMaxDelayMs: number;
}

type Encoded = ReadonlyMap<TypeUrl, readonly Resource[]>;

interface ServiceState {
  /** Everything of the model but the endpoints: equal shape = only endpoints can differ. */
  readonly shape: string;
  readonly byClass: ReadonlyMap<ClientClass, Encoded>;
  endpoints: readonly Resource[];
}

export interface PipelineStats {
  readonly flushes: number;
  readonly endpointOnlyFlushes: number;
  /** Builds that threw; the Service keeps its previous resources. */
  readonly failedBuilds: number;
  /** Services left out of the last publish because their resource names clash. */
  readonly conflictingServices: number;
}

export class SnapshotPipeline {
  readonly #source: ModelSource;
  readonly #cache: SnapshotCache;
  readonly #options: PipelineOptions;
  readonly #services = new Map<string, ServiceState>();
  readonly #pending = new Set<string>();
  #quietTimer?: NodeJS.Timeout;
  #maxTimer?: NodeJS.Timeout;
  #stopped = false;
  #stats = { flushes: 0, endpointOnlyFlushes: 0, failedBuilds: 0, conflictingServices: 0 };

  constructor(source: ModelSource, cache: SnapshotCache, options: PipelineOptions) {
    this.#source = source;
    this.#cache = cache;
    this.#options = options;
  }

  /** Builds every class's first snapshot from the synced source (this makes them ready). */
  start(): void {
    for (const [key, service] of this.#source.services()) this.#rebuildService(key, service);
    this.#publishAll();
    this.#source.onChange((changed) => this.#schedule(changed));
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#quietTimer);
    clearTimeout(this.#maxTimer);
  }

  stats(): PipelineStats {
    return { ...this.#stats };
  }

  #schedule(changed: ReadonlySet<string>): void {
    if (this.#stopped) return;
    for (const key of changed) this.#pending.add(key);
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => this.#flush(), this.#options.coalesceWindowMs);
    this.#maxTimer ??= setTimeout(() => this.#flush(), this.#options.coalesceMaxDelayMs);
  }

  #flush(): void {
    clearTimeout(this.#quietTimer);
    clearTimeout(this.#maxTimer);
    this.#quietTimer = this.#maxTimer = undefined;
    if (this.#stopped || this.#pending.size === 0) return;
    const keys = [...this.#pending];
    this.#pending.clear();
    this.#stats.flushes++;

    const services = this.#source.services();
    const upserts: Resource[] = [];
    const removals: string[] = [];
    let shapeChanged = false;
    for (const key of keys) {
      const service = services.get(key);
      const state = this.#services.get(key);
      if (service && state && state.shape === shapeOf(service)) {
        const endpoints = this.#loadAssignments(key, service);
        if (!endpoints) continue;
        const previous = new Set(state.endpoints.map((r) => r.name));
        state.endpoints = endpoints;
        upserts.push(...endpoints);
        for (const resource of endpoints) previous.delete(resource.name);
        removals.push(...previous);
      } else {
        shapeChanged = true;
        if (service) this.#rebuildService(key, service);
        else this.#services.delete(key);
      }
    }
    if (shapeChanged) {
      this.#publishAll();
      return;
    }
    this.#stats.endpointOnlyFlushes++;
    for (const clientClass of clientClasses) this.#cache.patch(clientClass, TypeUrl.Endpoint, upserts, removals);
  }

  #rebuildService(key: string, service: ServiceModel): void {
    try {
      const byClass = new Map<ClientClass, Encoded>();
      for (const clientClass of clientClasses) {
        byClass.set(clientClass, encodeSet(serviceResources(service, clientClass, this.#options.envoy)));
      }
      this.#services.set(key, { shape: shapeOf(service), byClass, endpoints: byClass.get('proxyless')!.get(TypeUrl.Endpoint)! });
    } catch (error) {
      // One Service that cannot be built must not stop the others: it keeps what it had.
      this.#stats.failedBuilds++;
      log.error('cannot build resources for a Service; keeping its previous ones', { service: key, error: describeError(error) });
    }
  }

  #loadAssignments(key: string, service: ServiceModel): Resource[] | undefined {
    try {
      return serviceLoadAssignments(service, this.#options.envoy).map((cla) => encodeResource(TypeUrl.Endpoint, cla));
    } catch (error) {
      this.#stats.failedBuilds++;
      log.error('cannot build endpoints for a Service; keeping its previous ones', { service: key, error: describeError(error) });
      return undefined;
    }
  }

  /**
   * Full snapshots for every class from the per-Service state plus Envoy's shared routing.
   * A Service whose resource names clash with an earlier one (by key) is left out of that
   * class, so one bad object cannot block everyone's snapshot.
   */
  #publishAll(): void {
    const live = this.#source.services();
    const keys = [...this.#services.keys()].filter((key) => live.has(key)).sort();
    let conflicting = 0;
    for (const clientClass of clientClasses) {
      const byType = new Map<TypeUrl, Resource[]>(pushOrder.map((type) => [type, []]));
      const claimed = new Set<string>();
      const included: ServiceModel[] = [];
      for (const key of keys) {
        const state = this.#services.get(key)!;
        // Endpoints come from `state.endpoints`, which the fast path keeps current.
        const resources = [...state.byClass.get(clientClass)!].flatMap(([type, list]) => (type === TypeUrl.Endpoint ? [] : list));
        resources.push(...state.endpoints);
        const names = resources.map((r) => `${r.type} ${r.name}`);
        const clash = names.find((name) => claimed.has(name)) ?? (new Set(names).size < names.length ? 'within the Service' : undefined);
        if (clash) {
          conflicting++;
          log.error('leaving out a Service whose resource names clash', { service: key, class: clientClass, clash });
          continue;
        }
        for (const name of names) claimed.add(name);
        for (const resource of resources) byType.get(resource.type)!.push(resource);
        included.push(live.get(key)!);
      }
      for (const [type, list] of encodeSet(sharedRouting(included, clientClass, this.#options.envoy))) byType.get(type)!.push(...list);
      try {
        this.#cache.set(clientClass, Snapshot.fromResources(byType));
      } catch (error) {
        log.error('cannot publish a snapshot; clients keep the previous one', { class: clientClass, error: describeError(error) });
      }
    }
    this.#stats.conflictingServices = conflicting / clientClasses.length;
  }
}

function encodeSet(set: ResourceSet): Encoded {
  return new Map<TypeUrl, Resource[]>([
    [TypeUrl.Cluster, set.clusters.map((m) => encodeResource(TypeUrl.Cluster, m))],
    [TypeUrl.Endpoint, set.endpoints.map((m) => encodeResource(TypeUrl.Endpoint, m))],
    [TypeUrl.Listener, set.listeners.map((m) => encodeResource(TypeUrl.Listener, m))],
    [TypeUrl.Route, set.routes.map((m) => encodeResource(TypeUrl.Route, m))],
  ]);
}

function shapeOf(service: ServiceModel): string {
  return JSON.stringify({ ...service, ports: service.ports.map(({ endpoints: _, ...port }) => port) });
}
