// Puts the Services' state into the snapshot cache, per class. A ready class is patched
// with what changed; a class that is not ready (its last full publish failed) gets a full
// snapshot at the next change instead, since the cache patches only ready classes. Envoy's
// listeners and RouteConfigurations, which span Services, are kept per class in routing
// tables that a Service change updates for that Service alone.
import { describeError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import type { Resource } from '../control-plane/resource.ts';
import { Snapshot } from '../control-plane/snapshot.ts';
import type { PatchOutcome, PushCause, SnapshotCache } from '../control-plane/snapshot-cache.ts';
import { pushOrder, TypeUrl } from '../control-plane/types.ts';
import type { EnvoyConfigOptions } from '../envoy-config/options.ts';
import { clientClasses, type ClientClass } from '../envoy-config/resource-set.ts';
import type { Builders } from './builders.ts';
import type { GatewayStates } from './gateway-states.ts';
import { RoutingTables } from './routing-tables.ts';
import { resourcesOf } from './service-state.ts';
import type { AppliedChanges, ServiceStates } from './service-states.ts';

type MutablePatch = { upserts: Resource[]; removals: string[] };

export class SnapshotPublisher {
  readonly #cache: SnapshotCache;
  readonly #states: ServiceStates;
  readonly #options: EnvoyConfigOptions;
  readonly #builders: Builders;
  readonly #gateways: GatewayStates | undefined;
  /** The routing tables of each class that has them, in step with its published snapshot. */
  readonly #routing = new Map<ClientClass, RoutingTables>();
  /** Ready classes whose routing failed to update: rebuilt whole at the next change, whatever it is. */
  readonly #staleRouting = new Set<ClientClass>();

  /** `gateways`: the Gateways' virtual hosts, placed in the gateway class's routing. */
  constructor(cache: SnapshotCache, states: ServiceStates, options: EnvoyConfigOptions, builders: Builders, gateways?: GatewayStates) {
    this.#cache = cache;
    this.#states = states;
    this.#options = options;
    this.#builders = builders;
    this.#gateways = gateways;
  }

  /** A full snapshot for every class (this makes them ready). */
  publishAll(): void {
    for (const clientClass of clientClasses) this.#publishFull(clientClass);
  }

  /**
   * Publishes to one class the changes `states.apply` made. A class that got a full
   * snapshot, or none, has an undefined outcome.
   */
  publish(clientClass: ClientClass, changes: AppliedChanges, cause?: PushCause): PatchOutcome | undefined {
    if (this.#cache.get(clientClass)) return this.#cache.patch(clientClass, this.#patches(clientClass, changes), cause);
    if (this.#publishFull(clientClass)) log.info({ class: clientClass }, 'a client class is ready after an earlier failure');
    return undefined;
  }

  /** Returns whether the snapshot was published. */
  #publishFull(clientClass: ClientClass): boolean {
    const byType = new Map<TypeUrl, Resource[]>(pushOrder.map((type) => [type, []]));
    for (const state of this.#states.all()) {
      for (const type of pushOrder) byType.get(type)!.push(...resourcesOf(state, clientClass, type));
    }
    let snapshot: Snapshot;
    let routing: RoutingTables | undefined;
    try {
      routing = this.#buildRouting(clientClass);
      if (routing) {
        const { listeners, routes } = routing.resources();
        byType.get(TypeUrl.Listener)!.push(...listeners);
        byType.get(TypeUrl.Route)!.push(...routes);
      }
      snapshot = Snapshot.fromResources(byType);
    } catch (error) {
      log.error({ class: clientClass, error: describeError(error) }, 'cannot publish a snapshot; the next change tries again');
      return false;
    }
    this.#cache.set(clientClass, snapshot);
    if (routing) this.#routing.set(clientClass, routing);
    this.#staleRouting.delete(clientClass);
    return true;
  }

  /** The class's routing tables for every Service; undefined for a class without (proxyless). */
  #buildRouting(clientClass: ClientClass): RoutingTables | undefined {
    const layout = this.#builders.envoyRoutingLayout(clientClass, this.#options);
    if (!layout) return undefined;
    const routing = new RoutingTables(layout);
    for (const [key, state] of this.#states.entries()) routing.place(key, state.routing);
    if (clientClass === 'gateway') for (const [key, hosts] of this.#gateways?.entries() ?? []) routing.place(key, hosts);
    return routing;
  }

  #patches(clientClass: ClientClass, { endpointUpserts, rebuilt, gateways = new Set() }: AppliedChanges): Map<TypeUrl, MutablePatch> {
    const patches = new Map<TypeUrl, MutablePatch>(pushOrder.map((type) => [type, { upserts: [], removals: [] }]));
    patches.get(TypeUrl.Endpoint)!.upserts.push(...endpointUpserts);
    for (const [key, before] of rebuilt) {
      const after = this.#states.get(key);
      for (const type of pushOrder) {
        const now = resourcesOf(after, clientClass, type);
        const names = new Set(now.map((resource) => resource.name));
        patches.get(type)!.upserts.push(...now);
        for (const { name } of resourcesOf(before, clientClass, type)) if (!names.has(name)) patches.get(type)!.removals.push(name);
      }
    }
    const gatewayKeys = clientClass === 'gateway' ? [...gateways] : [];
    if (rebuilt.size > 0 || gatewayKeys.length > 0 || this.#staleRouting.has(clientClass)) this.#patchRouting(clientClass, rebuilt.keys(), gatewayKeys, patches);
    return patches;
  }

  /** The Services' changes to the class's routing tables, or the tables rebuilt whole after a failure. */
  #patchRouting(clientClass: ClientClass, keys: Iterable<string>, gatewayKeys: readonly string[], patches: Map<TypeUrl, MutablePatch>): void {
    const stale = this.#staleRouting.has(clientClass);
    const routing = this.#routing.get(clientClass);
    if (!stale && !routing) return; // a class without Envoy routing: proxyless
    try {
      if (stale) this.#patchRebuiltRouting(clientClass, patches);
      else {
        for (const key of keys) routing!.place(key, this.#states.get(key)?.routing);
        for (const key of gatewayKeys) routing!.place(key, this.#gateways?.get(key));
        const { listeners, routes } = routing!.changes();
        for (const [type, patch] of [[TypeUrl.Listener, listeners], [TypeUrl.Route, routes]] as const) {
          patches.get(type)!.upserts.push(...patch.upserts);
          patches.get(type)!.removals.push(...patch.removals);
        }
      }
      this.#staleRouting.delete(clientClass);
    } catch (error) {
      // The tables may be half updated: they are rebuilt whole at the next change.
      this.#staleRouting.add(clientClass);
      log.error({ class: clientClass, error: describeError(error) }, 'cannot build Envoy routing; clients keep the previous one until the next change');
    }
  }

  /** Rebuilt whole (they are all Envoy has of those types), patched in by difference. */
  #patchRebuiltRouting(clientClass: ClientClass, patches: Map<TypeUrl, MutablePatch>): void {
    this.#routing.delete(clientClass);
    const routing = this.#buildRouting(clientClass);
    if (!routing) return;
    const current = this.#cache.get(clientClass)!;
    const { listeners, routes } = routing.resources();
    for (const [type, resources] of [[TypeUrl.Listener, listeners], [TypeUrl.Route, routes]] as const) {
      const names = new Set(resources.map((resource) => resource.name));
      patches.get(type)!.upserts.push(...resources);
      for (const name of current.resources(type).keys()) if (!names.has(name)) patches.get(type)!.removals.push(name);
    }
    this.#routing.set(clientClass, routing);
  }
}
