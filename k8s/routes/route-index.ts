// The Routes the store holds, indexed both ways a change travels: by the Services they
// attach to (a Route's change rebuilds its parents) and by the Services they send to (a
// backend appearing or going away rebuilds the parents of the Routes that name it). Also
// each Route's status, recomputed only for the Routes a rebuild touched.
import { isDeepStrictEqual } from 'node:util';
import type { WhyUnserved } from '../client-support.ts';
import { gatewayKey } from '../gateway-model.ts';
import { serviceKey } from '../model.ts';
import type { ServiceRecord } from '../normalize.ts';
import type { RouteEntryModel } from '../route-model.ts';
import { joinRoutes, type BackendResolver, type ParentOutcomes } from './route-join.ts';
import type { RouteRecord } from './route-record.ts';
import { routeStatus, type BackendProblem, type RouteStatusModel } from './route-status.ts';
import type { BackendRefRecord } from './route-record.ts';

export class RouteIndex {
  readonly #routes = new Map<string, RouteRecord>();
  /** Service key -> keys of the Routes with a mesh parentRef naming it. */
  readonly #byParent = new Map<string, Set<string>>();
  /** Service key -> keys of the Routes with a backendRef naming it. */
  readonly #byBackend = new Map<string, Set<string>>();
  /** Gateway key -> keys of the Routes with a parentRef naming it. */
  readonly #byGateway = new Map<string, Set<string>>();
  /** Service key -> what its last join decided for each attached Route. */
  readonly #outcomes = new Map<string, ParentOutcomes>();
  /** Gateway key -> the same, for the Gateways of kube-xds's class (store/gateway joins). */
  readonly #gatewayOutcomes = new Map<string, ParentOutcomes>();
  readonly #statuses = new Map<string, RouteStatusModel>();
  readonly #whyUnserved: WhyUnserved | undefined;

  /** `whyUnserved`: which client classes are not served an entry, for the statuses. */
  constructor(whyUnserved?: WhyUnserved) {
    this.#whyUnserved = whyUnserved;
  }

  get(key: string): RouteRecord | undefined {
    return this.#routes.get(key);
  }

  get size(): number {
    return this.#routes.size;
  }

  statuses(): ReadonlyMap<string, RouteStatusModel> {
    return this.#statuses;
  }

  /** Adds or replaces a Route; returns the Service keys whose entries may change (old and new parents). */
  set(route: RouteRecord): Set<string> {
    const affected = this.#unlink(route.key);
    this.#routes.set(route.key, route);
    for (const key of parentKeys(route)) {
      link(this.#byParent, key, route.key);
      affected.add(key);
    }
    for (const key of backendKeys(route)) link(this.#byBackend, key, route.key);
    for (const key of gatewayKeys(route)) link(this.#byGateway, key, route.key);
    return affected;
  }

  /** Forgets a Route; returns the Service keys it was attached to. */
  delete(key: string): Set<string> {
    const affected = this.#unlink(key);
    this.#routes.delete(key);
    return affected;
  }

  /** The Services whose entries name `serviceKey` as a backend (its existence and ports decide `resolved`). */
  parentsOfBackend(key: string): Set<string> {
    const parents = new Set<string>();
    for (const routeKey of this.#byBackend.get(key) ?? []) {
      const route = this.#routes.get(routeKey);
      if (route !== undefined) for (const parent of parentKeys(route)) parents.add(parent);
    }
    return parents;
  }

  /** The Gateways whose Routes name `serviceKey` as a backend. */
  gatewaysOfBackend(key: string): Set<string> {
    const gateways = new Set<string>();
    for (const routeKey of this.#byBackend.get(key) ?? []) {
      const route = this.#routes.get(routeKey);
      if (route !== undefined) for (const gateway of gatewayKeys(route)) gateways.add(gateway);
    }
    return gateways;
  }

  /** The Routes with a parentRef naming a Gateway (whatever its class). */
  attachedToGateway(key: string): readonly RouteRecord[] {
    return [...(this.#byGateway.get(key) ?? [])].flatMap((routeKey) => this.#routes.get(routeKey) ?? []);
  }

  /** What a Gateway's join decided for its Routes; undefined: the Gateway is gone or not kube-xds's. */
  setGatewayOutcomes(key: string, outcomes: ParentOutcomes | undefined): void {
    if (outcomes === undefined) this.#gatewayOutcomes.delete(key);
    else this.#gatewayOutcomes.set(key, outcomes);
  }

  /** Keys of the Routes attached to a Service. */
  attachedTo(key: string): ReadonlySet<string> {
    return this.#byParent.get(key) ?? new Set();
  }

  /** The entries of one Service (a `namespace/name` key), remembering the outcomes for status. */
  join(key: string, service: ServiceRecord | undefined, resolves: BackendResolver): readonly RouteEntryModel[] {
    const attached = [...this.attachedTo(key)].flatMap((routeKey) => this.#routes.get(routeKey) ?? []);
    if (attached.length === 0) {
      this.#outcomes.delete(key);
      return [];
    }
    const slash = key.indexOf('/');
    const { entries, outcomes } = joinRoutes(key.slice(0, slash), key.slice(slash + 1), service, attached, resolves, this.#whyUnserved);
    this.#outcomes.set(key, outcomes);
    return entries;
  }

  /**
   * Recomputes the statuses of these Routes (after the joins of their parents); returns the
   * keys whose status changed, with the new status or undefined when the Route is gone.
   */
  refreshStatuses(keys: Iterable<string>, backendProblem: (backend: BackendRefRecord) => BackendProblem | undefined): Map<string, RouteStatusModel | undefined> {
    const changed = new Map<string, RouteStatusModel | undefined>();
    for (const key of keys) {
      const route = this.#routes.get(key);
      const status = route === undefined ? undefined : routeStatus(route, (index) => {
        const parent = route.parents[index]!;
        const outcomes = parent.gateway ? this.#gatewayOutcomes.get(gatewayKey(parent.namespace, parent.name)) : this.#outcomes.get(serviceKey(parent.namespace, parent.name));
        return outcomes?.get(key)?.get(index);
      }, backendProblem);
      // A Route with no parent of kube-xds's (a Service, or a Gateway of its class) has no status here.
      if (status === undefined || status.parents.length === 0) {
        if (this.#statuses.delete(key)) changed.set(key, undefined);
        continue;
      }
      if (isDeepStrictEqual(this.#statuses.get(key), status)) continue;
      this.#statuses.set(key, status);
      changed.set(key, status);
    }
    return changed;
  }

  #unlink(key: string): Set<string> {
    const previous = this.#routes.get(key);
    const affected = new Set<string>();
    if (previous === undefined) return affected;
    for (const parent of parentKeys(previous)) {
      unlink(this.#byParent, parent, key);
      affected.add(parent);
    }
    for (const backend of backendKeys(previous)) unlink(this.#byBackend, backend, key);
    for (const gateway of gatewayKeys(previous)) unlink(this.#byGateway, gateway, key);
    return affected;
  }
}

function parentKeys(route: RouteRecord): Set<string> {
  return new Set(route.parents.filter((parent) => parent.mesh).map((parent) => serviceKey(parent.namespace, parent.name)));
}

/** The keys of the Gateways a Route's parentRefs name. */
export function gatewayKeys(route: RouteRecord): Set<string> {
  return new Set(route.parents.filter((parent) => parent.gateway).map((parent) => gatewayKey(parent.namespace, parent.name)));
}

function backendKeys(route: RouteRecord): Set<string> {
  return new Set(route.rules.flatMap((rule) => rule.backends.filter((backend) => backend.invalidKind === undefined).map((backend) => serviceKey(backend.namespace, backend.name))));
}

function link(index: Map<string, Set<string>>, key: string, routeKey: string): void {
  let keys = index.get(key);
  if (keys === undefined) index.set(key, (keys = new Set()));
  keys.add(routeKey);
}

function unlink(index: Map<string, Set<string>>, key: string, routeKey: string): void {
  const keys = index.get(key);
  keys?.delete(routeKey);
  if (keys?.size === 0) index.delete(key);
}
