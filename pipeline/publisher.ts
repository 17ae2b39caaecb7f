// Puts the Services' state into the snapshot cache, per class. A ready class is patched
// with what changed; a class that is not ready (its last full publish failed) gets a full
// snapshot at the next change instead, since the cache patches only ready classes.
import { describeError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import type { Resource } from '../control-plane/resource.ts';
import { Snapshot } from '../control-plane/snapshot.ts';
import type { PatchOutcome, PushCause, SnapshotCache } from '../control-plane/snapshot-cache.ts';
import { pushOrder, TypeUrl } from '../control-plane/types.ts';
import type { EnvoyConfigOptions } from '../envoy-config/options.ts';
import { clientClasses, type ClientClass } from '../envoy-config/resource-set.ts';
import type { Builders } from './builders.ts';
import { encodeResourceSet } from './encoding.ts';
import { resourcesOf } from './service-state.ts';
import type { AppliedChanges, ServiceStates } from './service-states.ts';

type MutablePatch = { upserts: Resource[]; removals: string[] };

/** Envoy's listeners and routes span Services; a proxyless client's belong to one Service each. */
function ownsSharedRouting(clientClass: ClientClass): boolean {
  return clientClass !== 'proxyless';
}

export class SnapshotPublisher {
  readonly #cache: SnapshotCache;
  readonly #states: ServiceStates;
  readonly #options: EnvoyConfigOptions;
  readonly #builders: Builders;
  /** Ready classes whose shared routing failed to build: rebuilt at the next change, whatever it is. */
  readonly #staleRouting = new Set<ClientClass>();

  constructor(cache: SnapshotCache, states: ServiceStates, options: EnvoyConfigOptions, builders: Builders) {
    this.#cache = cache;
    this.#states = states;
    this.#options = options;
    this.#builders = builders;
  }

  /** A full snapshot for every class (this makes them ready). */
  publishAll(): void {
    for (const clientClass of clientClasses) this.#publishFull(clientClass);
  }

  /**
   * Publishes the changes `states.apply` made. A class that got a full snapshot, or none,
   * has an undefined outcome.
   */
  publish(changes: AppliedChanges, cause?: PushCause): Map<ClientClass, PatchOutcome | undefined> {
    const outcomes = new Map<ClientClass, PatchOutcome | undefined>();
    for (const clientClass of clientClasses) {
      if (this.#cache.get(clientClass)) {
        outcomes.set(clientClass, this.#cache.patch(clientClass, this.#patches(clientClass, changes), cause));
      } else {
        if (this.#publishFull(clientClass)) log.info({ class: clientClass }, 'a client class is ready after an earlier failure');
        outcomes.set(clientClass, undefined);
      }
    }
    return outcomes;
  }

  /** Returns whether the snapshot was published. */
  #publishFull(clientClass: ClientClass): boolean {
    const byType = new Map<TypeUrl, Resource[]>(pushOrder.map((type) => [type, []]));
    for (const state of this.#states.all()) {
      for (const type of pushOrder) byType.get(type)!.push(...resourcesOf(state, clientClass, type));
    }
    let snapshot: Snapshot;
    try {
      const routing = encodeResourceSet(this.#builders.sharedRouting(this.#states.models(), clientClass, this.#options));
      for (const [type, list] of routing) byType.get(type)!.push(...list);
      snapshot = Snapshot.fromResources(byType);
    } catch (error) {
      log.error({ class: clientClass, error: describeError(error) }, 'cannot publish a snapshot; the next change tries again');
      return false;
    }
    this.#cache.set(clientClass, snapshot);
    this.#staleRouting.delete(clientClass);
    return true;
  }

  #patches(clientClass: ClientClass, { endpointUpserts, rebuilt }: AppliedChanges): Map<TypeUrl, MutablePatch> {
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
    if (ownsSharedRouting(clientClass) && (rebuilt.size > 0 || this.#staleRouting.has(clientClass))) this.#patchSharedRouting(clientClass, patches);
    return patches;
  }

  /** Rebuilt whole (they are all Envoy has of those types), patched in by difference. */
  #patchSharedRouting(clientClass: ClientClass, patches: Map<TypeUrl, MutablePatch>): void {
    const current = this.#cache.get(clientClass)!;
    try {
      const routing = encodeResourceSet(this.#builders.sharedRouting(this.#states.models(), clientClass, this.#options));
      for (const type of [TypeUrl.Listener, TypeUrl.Route]) {
        const resources = routing.get(type)!;
        const names = new Set(resources.map((resource) => resource.name));
        patches.get(type)!.upserts.push(...resources);
        for (const name of current.resources(type).keys()) if (!names.has(name)) patches.get(type)!.removals.push(name);
      }
      this.#staleRouting.delete(clientClass);
    } catch (error) {
      this.#staleRouting.add(clientClass);
      log.error({ class: clientClass, error: describeError(error) }, 'cannot build Envoy routing; clients keep the previous one until the next change');
    }
  }
}
