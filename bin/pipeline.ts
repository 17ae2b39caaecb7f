// Source -> builders -> snapshot cache. Changes are coalesced briefly, then patched into
// each class's snapshot: work grows with what changed, not with the cluster. A change that
// only moves endpoints takes the fast path (the Service's ClusterLoadAssignments are
// rebuilt once, as they are the same for every class); any other change rebuilds that
// Service, plus Envoy's listeners and routes, which span Services.
import { describeError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import { encodeResource, type Resource } from '../control-plane/resource.ts';
import { Snapshot, type SnapshotChanges } from '../control-plane/snapshot.ts';
import type { PatchOutcome, SnapshotCache } from '../control-plane/snapshot-cache.ts';
import { pushOrder, typeShortName, TypeUrl } from '../control-plane/types.ts';
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

type MutablePatch = { upserts: Resource[]; removals: string[] };

/** A flush's debug line names the Services it applied when there are at most this many. */
const servicesNamedInLog = 10;

interface ServiceState {
  /** The model this state was built from (its endpoints may since have moved on). */
  readonly model: ServiceModel;
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
  /** Services refused because two of their resources share a name. */
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
  #stats = { flushes: 0, endpointOnlyFlushes: 0, failedBuilds: 0 };
  readonly #conflicting = new Set<string>();

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
    return { ...this.#stats, conflictingServices: this.#conflicting.size };
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
    const startedAt = log.enabled('debug') ? performance.now() : undefined;
    const keys = [...this.#pending];
    this.#pending.clear();
    this.#stats.flushes++;

    const services = this.#source.services();
    const endpointUpserts: Resource[] = [];
    const rebuilt = new Map<string, ServiceState | undefined>(); // key -> its state before
    for (const key of keys) {
      const service = services.get(key);
      const state = this.#services.get(key);
      if (service && state && state.shape === shapeOf(service)) {
        // Same shape, same ports: the same ClusterLoadAssignment names, only new contents.
        const endpoints = this.#loadAssignments(key, service);
        if (!endpoints) continue;
        state.endpoints = endpoints;
        endpointUpserts.push(...endpoints);
        continue;
      }
      rebuilt.set(key, state);
      if (service) this.#rebuildService(key, service);
      else {
        this.#services.delete(key);
        this.#conflicting.delete(key);
      }
    }
    const endpointsOnly = rebuilt.size === 0;
    if (endpointsOnly) this.#stats.endpointOnlyFlushes++;
    const outcomes = new Map<ClientClass, PatchOutcome | undefined>();
    for (const clientClass of clientClasses) {
      const patches = new Map<TypeUrl, MutablePatch>(pushOrder.map((type) => [type, { upserts: [], removals: [] }]));
      patches.get(TypeUrl.Endpoint)!.upserts.push(...endpointUpserts);
      for (const [key, before] of rebuilt) {
        const after = this.#services.get(key);
        for (const type of pushOrder) {
          const now = resourcesOf(after, clientClass, type);
          const names = new Set(now.map((resource) => resource.name));
          patches.get(type)!.upserts.push(...now);
          for (const { name } of resourcesOf(before, clientClass, type)) if (!names.has(name)) patches.get(type)!.removals.push(name);
        }
      }
      if (rebuilt.size > 0 && clientClass !== 'proxyless') this.#patchSharedRouting(clientClass, patches);
      outcomes.set(clientClass, this.#cache.patch(clientClass, patches));
    }
    if (startedAt !== undefined) logFlush(keys, endpointsOnly, outcomes, performance.now() - startedAt);
  }

  /**
   * Envoy's listeners and routes span Services (and are all they own of those types):
   * rebuilt whole, patched in by difference.
   */
  #patchSharedRouting(clientClass: ClientClass, patches: Map<TypeUrl, MutablePatch>): void {
    const current = this.#cache.get(clientClass);
    if (!current) return;
    try {
      const routing = encodeSet(sharedRouting(this.#models(), clientClass, this.#options.envoy));
      for (const type of [TypeUrl.Listener, TypeUrl.Route]) {
        const resources = routing.get(type)!;
        const names = new Set(resources.map((resource) => resource.name));
        patches.get(type)!.upserts.push(...resources);
        for (const name of current.resources(type).keys()) if (!names.has(name)) patches.get(type)!.removals.push(name);
      }
    } catch (error) {
      log.error('cannot build Envoy routing; clients keep the previous one', { class: clientClass, error: describeError(error) });
    }
  }

  /**
   * Builds a Service for every class. A build that throws, or that gives two resources of
   * one type the same name (two ports that alias each other), is refused: the Service keeps
   * what it had, so one bad object can never make a whole snapshot invalid. Names of
   * different Services cannot clash: they all contain the namespace and name.
   */
  #rebuildService(key: string, service: ServiceModel): void {
    try {
      const byClass = new Map<ClientClass, Encoded>();
      for (const clientClass of clientClasses) {
        const encoded = encodeSet(serviceResources(service, clientClass, this.#options.envoy));
        const clash = duplicateName(encoded);
        if (clash) {
          this.#conflicting.add(key);
          log.error('refusing a Service whose resource names clash; it keeps its previous resources', { service: key, class: clientClass, clash });
          return;
        }
        byClass.set(clientClass, encoded);
      }
      this.#conflicting.delete(key);
      this.#services.set(key, { model: service, shape: shapeOf(service), byClass, endpoints: byClass.get('proxyless')!.get(TypeUrl.Endpoint)! });
    } catch (error) {
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

  /** The models the current state was built from, sorted by key. */
  #models(): ServiceModel[] {
    return [...this.#services.keys()].sort().map((key) => this.#services.get(key)!.model);
  }

  /** Full snapshots for every class from the per-Service state plus Envoy's shared routing. */
  #publishAll(): void {
    const keys = [...this.#services.keys()];
    const models = this.#models();
    for (const clientClass of clientClasses) {
      const byType = new Map<TypeUrl, Resource[]>(pushOrder.map((type) => [type, []]));
      for (const key of keys) {
        for (const type of pushOrder) byType.get(type)!.push(...resourcesOf(this.#services.get(key), clientClass, type));
      }
      try {
        for (const [type, list] of encodeSet(sharedRouting(models, clientClass, this.#options.envoy))) byType.get(type)!.push(...list);
        this.#cache.set(clientClass, Snapshot.fromResources(byType));
      } catch (error) {
        log.error('cannot publish a snapshot; clients keep the previous one', { class: clientClass, error: describeError(error) });
      }
    }
  }
}

/** One line per flush, whatever the number of Services, resources and streams. */
function logFlush(keys: readonly string[], endpointsOnly: boolean, outcomes: ReadonlyMap<ClientClass, PatchOutcome | undefined>, durationMs: number): void {
  const changed: Record<string, Record<string, number>> = {};
  const removed: Record<string, Record<string, number>> = {};
  const streamsReached: Record<string, number> = {};
  for (const [clientClass, outcome] of outcomes) {
    streamsReached[clientClass] = outcome?.streamsReached ?? 0;
    if (!outcome) continue;
    addCounts(changed, clientClass, outcome.changes, 'changed');
    addCounts(removed, clientClass, outcome.changes, 'removed');
  }
  log.debug('changes applied and pushed', {
    services: keys.length,
    ...(keys.length <= servicesNamedInLog ? { serviceKeys: keys } : {}),
    endpointsOnly,
    changed,
    removed,
    streamsReached,
    durationMs: Math.round(durationMs * 100) / 100,
  });
}

/** Counts per type short name (e.g. `{ EDS: 2 }`), under the class when any. */
function addCounts(into: Record<string, Record<string, number>>, clientClass: ClientClass, changes: SnapshotChanges, kind: 'changed' | 'removed'): void {
  for (const [type, change] of changes) {
    if (change[kind].size === 0) continue;
    (into[clientClass] ??= {})[typeShortName[type]] = change[kind].size;
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

function resourcesOf(state: ServiceState | undefined, clientClass: ClientClass, type: TypeUrl): readonly Resource[] {
  if (!state) return [];
  // Endpoints come from `state.endpoints`, which the fast path keeps current.
  return type === TypeUrl.Endpoint ? state.endpoints : state.byClass.get(clientClass)!.get(type)!;
}

function duplicateName(encoded: Encoded): string | undefined {
  for (const resources of encoded.values()) {
    const names = new Set<string>();
    for (const { name } of resources) {
      if (names.has(name)) return name;
      names.add(name);
    }
  }
  return undefined;
}

function shapeOf(service: ServiceModel): string {
  return JSON.stringify({ ...service, ports: service.ports.map(({ endpoints: _, ...port }) => port) });
}
