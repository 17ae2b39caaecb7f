// The index both sources feed: checked Services and EndpointSlices, grouped by Service,
// GRPCRoutes and HTTPRoutes indexed by the Services they attach to and send to
// (routes/route-index.ts), and the model built from them. Each change rebuilds only the Services it touches and
// reports the keys whose model really changed. Malformed objects are logged, counted and
// skipped here, so the kube source never has to (the file source checks its objects first,
// where it can name their file); a skipped update leaves the previous good version of that
// object in place.
import { isDeepStrictEqual } from 'node:util';
import { ErrorCode, KubeXdsError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import type { WhyUnserved } from './client-support.ts';
import { serviceKey, type ServiceModel } from './model.ts';
import {
  buildServiceModel,
  readEndpointSlice,
  readRef,
  readService,
  type ObjectKind,
  type ObjectRef,
  type ServiceRecord,
  type SliceRecord,
} from './normalize.ts';
import { gatewayChangeKey, gatewayKey, type GatewayModel } from './gateway-model.ts';
import { joinGateway } from './gateways/gateway-join.ts';
import type { GatewayRecord } from './gateways/gateway-record.ts';
import { gatewayStatus, type GatewayStatusModel } from './gateways/gateway-status.ts';
import { readGateway, readGatewayClassName, readGatewayRef } from './gateways/read-gateway.ts';
import type { RouteEntryModel } from './route-model.ts';
import { readRouteHeader, readRouteRef, readRouteRules } from './routes/read-route.ts';
import { gatewayKeys, RouteIndex } from './routes/route-index.ts';
import { routeKey, type BackendRefRecord, type RouteKind } from './routes/route-record.ts';
import { healthy, type BackendProblem, type RouteStatusModel } from './routes/route-status.ts';
import type { LabelSelector } from './selector.ts';

export interface StoreFilter {
  /** Keep only objects in these namespaces; absent or empty = every namespace. */
  readonly namespaces?: readonly string[];
  /** Keep only Services whose labels match; their slices follow them. */
  readonly selector?: LabelSelector;
}

export interface StoreOptions extends StoreFilter {
  /** Told about each skipped object, after it has been logged and counted. */
  readonly onBadObject?: (error: KubeXdsError) => void;
  /** Told about each Route whose status changed (undefined: the Route is gone), after the models are rebuilt. */
  readonly onRouteStatus?: (key: string, status: RouteStatusModel | undefined) => void;
  /** Which client classes are not served a route entry, and why: reported in the Route's status (PartiallyInvalid). */
  readonly whyUnserved?: WhyUnserved;
  /** The Gateways served are those of this class (default `kube-xds`); others are left alone. */
  readonly gatewayClassName?: string;
  /** Told about each Gateway whose status changed (undefined: gone, or no longer of kube-xds's class). */
  readonly onGatewayStatus?: (key: string, status: GatewayStatusModel | undefined) => void;
}

export const DEFAULT_GATEWAY_CLASS = 'kube-xds';

const nothing: ReadonlySet<string> = new Set();

function refKey(ref: ObjectRef): string {
  return `${ref.namespace}/${ref.name}`;
}

export class ModelStore {
  readonly #namespaces: ReadonlySet<string> | undefined;
  readonly #selector: LabelSelector | undefined;
  readonly #services = new Map<string, ServiceRecord>();
  /** Every slice by its own key (to find its old Service when it changes)... */
  readonly #slices = new Map<string, SliceRecord>();
  /** ...and the same slices grouped by the key of the Service they name. */
  readonly #slicesByService = new Map<string, Map<string, SliceRecord>>();
  readonly #models = new Map<string, ServiceModel>();
  readonly #routes: RouteIndex;
  readonly #gatewayClassName: string;
  /** The Gateways of kube-xds's class, their models and statuses, by `namespace/name`. */
  readonly #gateways = new Map<string, GatewayRecord>();
  readonly #gatewayModels = new Map<string, GatewayModel>();
  readonly #gatewayStatuses = new Map<string, GatewayStatusModel>();
  readonly #onGatewayStatus: ((key: string, status: GatewayStatusModel | undefined) => void) | undefined;
  /** Gateways rebuilt by rebuildDeferred(). */
  readonly #deferredGateways = new Set<string>();
  /** Keys whose model is rebuilt later, by rebuildDeferred(); undefined: at once. */
  #deferred: Set<string> | undefined;
  /** Routes whose status is recomputed by rebuildDeferred(). */
  readonly #deferredRoutes = new Set<string>();
  readonly #onBadObject: ((error: KubeXdsError) => void) | undefined;
  readonly #onRouteStatus: ((key: string, status: RouteStatusModel | undefined) => void) | undefined;
  /** The status each Route was last warned about, so a problem is logged once per Route version. */
  readonly #warned = new Map<string, string>();
  #badObjects = 0;
  /** `kind/namespace/name` of each object whose latest version was skipped, until fixed or deleted. */
  readonly #rejected = new Set<string>();

  constructor(options: StoreOptions = {}) {
    this.#namespaces = options.namespaces?.length ? new Set(options.namespaces) : undefined;
    this.#selector = options.selector;
    this.#onBadObject = options.onBadObject;
    this.#onRouteStatus = options.onRouteStatus;
    this.#routes = new RouteIndex(options.whyUnserved);
    this.#gatewayClassName = options.gatewayClassName ?? DEFAULT_GATEWAY_CLASS;
    this.#onGatewayStatus = options.onGatewayStatus;
  }

  /** The models of the Gateways of kube-xds's class by `namespace/name`: a live view. */
  gateways(): ReadonlyMap<string, GatewayModel> {
    return this.#gatewayModels;
  }

  /** Their statuses by `namespace/name`: a live view. */
  gatewayStatuses(): ReadonlyMap<string, GatewayStatusModel> {
    return this.#gatewayStatuses;
  }

  /**
   * Adds or replaces a Gateway; returns the change key of the Gateway (gatewayChangeKey) when
   * its model changed. A Gateway of another class is treated as absent: kube-xds does not
   * serve it, nor write its status.
   */
  applyGateway(object: unknown): ReadonlySet<string> {
    return this.#guarded('Gateway', () => `Gateway/${refKey(readGatewayRef(object))}`, () => {
      const ref = readGatewayRef(object);
      if (!this.#watches(ref)) return nothing;
      const key = gatewayKey(ref.namespace, ref.name);
      if (readGatewayClassName(object) !== this.#gatewayClassName) {
        return this.#gateways.delete(key) ? this.#rebuild([], 'routes', [], [key]) : nothing;
      }
      this.#gateways.set(key, readGateway(object));
      return this.#rebuild([], 'routes', [], [key]);
    });
  }

  deleteGateway(object: unknown): ReadonlySet<string> {
    return this.#guarded('Gateway', () => `Gateway/${refKey(readGatewayRef(object))}`, () => {
      const { namespace, name } = readGatewayRef(object);
      const key = gatewayKey(namespace, name);
      return this.#gateways.delete(key) ? this.#rebuild([], 'routes', [], [key]) : nothing;
    });
  }

  /** The current models by `namespace/name`: a live view, updated in place. */
  services(): ReadonlyMap<string, ServiceModel> {
    return this.#models;
  }

  get badObjects(): number {
    return this.#badObjects;
  }

  /** Objects whose latest version was skipped as malformed and that are not fixed or deleted since. */
  get rejectedObjects(): number {
    return this.#rejected.size;
  }

  /** Each GRPCRoute's and HTTPRoute's status by `Kind/namespace/name`: a live view. */
  routeStatuses(): ReadonlyMap<string, RouteStatusModel> {
    return this.#routes.statuses();
  }

  /** Adds or replaces a Service; returns the keys whose model changed. */
  applyService(object: unknown): ReadonlySet<string> {
    return this.#guard('Service', object, () => {
      const service = readService(object);
      if (!this.#watches(service)) return nothing;
      const key = serviceKey(service.namespace, service.name);
      // A Service whose labels stop matching leaves the model like a deleted one.
      if (this.#selector?.matches(service.labels) === false) this.#services.delete(key);
      else this.#services.set(key, service);
      return this.#rebuildWithDependents(key);
    });
  }

  deleteService(object: unknown): ReadonlySet<string> {
    return this.#guard('Service', object, () => {
      const ref = readRef('Service', object);
      const key = serviceKey(ref.namespace, ref.name);
      return this.#services.delete(key) ? this.#rebuildWithDependents(key) : nothing;
    });
  }

  /**
   * Adds or replaces a GRPCRoute or HTTPRoute; returns the keys of the Services whose model
   * changed (its parents, old and new). A version that cannot be read is skipped like any
   * malformed object, and its last good version stays; with none, its status says why.
   */
  applyRoute(kind: RouteKind, object: unknown): ReadonlySet<string> {
    return this.#guardRoute(kind, object, () => {
      const header = readRouteHeader(kind, object);
      if (!this.#watches(header)) return nothing;
      let rules;
      try {
        rules = readRouteRules(kind, object);
      } catch (error) {
        const last = this.#routes.get(header.key);
        // With no good version to keep, the Route's status says why nothing of it applies.
        if (error instanceof KubeXdsError && (last === undefined || last.invalid !== undefined)) this.#setRoute({ ...header, rules: [], invalid: error.message });
        throw error;
      }
      return this.#setRoute({ ...header, rules });
    });
  }

  deleteRoute(kind: RouteKind, object: unknown): ReadonlySet<string> {
    return this.#guardRoute(kind, object, () => {
      const { namespace, name } = readRouteRef(kind, object);
      const key = routeKey(kind, namespace, name);
      const previous = this.#routes.get(key);
      if (previous === undefined) return nothing;
      return this.#rebuild(this.#routes.delete(key), 'routes', [key], gatewayKeys(previous));
    });
  }

  #setRoute(route: Parameters<RouteIndex['set']>[0]): ReadonlySet<string> {
    const previous = this.#routes.get(route.key);
    const gateways = new Set([...(previous === undefined ? [] : gatewayKeys(previous)), ...gatewayKeys(route)]);
    return this.#rebuild(this.#routes.set(route), 'routes', [route.key], gateways);
  }

  /** A Service changed: its own model, and the entries that name it as a backend. */
  #rebuildWithDependents(key: string): ReadonlySet<string> {
    const changed = new Set(this.#rebuild([key]));
    for (const parent of this.#rebuild(this.#routes.parentsOfBackend(key), 'routes', [], this.#routes.gatewaysOfBackend(key))) changed.add(parent);
    return changed;
  }

  applySlice(object: unknown): ReadonlySet<string> {
    return this.#guard('EndpointSlice', object, () => {
      const slice = readEndpointSlice(object);
      if (!this.#watches(slice)) return nothing;
      const previous = this.#unlink(slice);
      this.#slices.set(refKey(slice), slice);
      const owner = this.#ownerKey(slice);
      if (owner !== undefined) {
        let group = this.#slicesByService.get(owner);
        if (group === undefined) this.#slicesByService.set(owner, (group = new Map()));
        group.set(slice.name, slice);
      }
      return this.#rebuild([previous, owner], 'endpoints');
    });
  }

  deleteSlice(object: unknown): ReadonlySet<string> {
    return this.#guard('EndpointSlice', object, () => this.#rebuild([this.#unlink(readRef('EndpointSlice', object))], 'endpoints'));
  }

  #watches(ref: ObjectRef): boolean {
    return this.#namespaces === undefined || this.#namespaces.has(ref.namespace);
  }

  #ownerKey(slice: SliceRecord): string | undefined {
    return slice.serviceName === undefined ? undefined : serviceKey(slice.namespace, slice.serviceName);
  }

  /** Forgets the stored slice with this ref; returns the key of the Service it belonged to. */
  #unlink(ref: ObjectRef): string | undefined {
    const sliceKey = refKey(ref);
    const previous = this.#slices.get(sliceKey);
    if (previous === undefined) return undefined;
    this.#slices.delete(sliceKey);
    const owner = this.#ownerKey(previous);
    if (owner === undefined) return undefined;
    const group = this.#slicesByService.get(owner);
    group?.delete(previous.name);
    if (group?.size === 0) this.#slicesByService.delete(owner);
    return owner;
  }

  /**
   * Until rebuildDeferred(), changes only mark their Services: a first list applies each
   * Service and each of its slices, and its model is built once instead of once per object.
   */
  deferRebuilds(): void {
    this.#deferred ??= new Set();
  }

  /** Builds the models of everything applied since deferRebuilds(); returns the keys that changed. */
  rebuildDeferred(): ReadonlySet<string> {
    const keys = this.#deferred ?? nothing;
    this.#deferred = undefined;
    const routes = [...this.#deferredRoutes];
    this.#deferredRoutes.clear();
    const gateways = [...this.#deferredGateways];
    this.#deferredGateways.clear();
    return this.#rebuild(keys, 'all', routes, gateways);
  }

  /**
   * Rebuilds what `part` says of these Services' models, the statuses of their Routes (unless
   * only endpoints changed) and of `routes`, and these Gateways' models and statuses; returns
   * the keys whose model changed (Gateways' as gatewayChangeKey).
   */
  #rebuild(keys: Iterable<string | undefined>, part: ModelPart = 'all', routes: Iterable<string> = [], gateways: Iterable<string> = []): ReadonlySet<string> {
    const changed = new Set<string>();
    const touched = new Set(routes);
    for (const key of new Set(gateways)) {
      if (this.#deferred !== undefined) {
        this.#deferredGateways.add(key);
        continue;
      }
      if (this.#rebuildGateway(key)) changed.add(gatewayChangeKey(key));
      for (const route of this.#routes.attachedToGateway(key)) touched.add(route.key);
    }
    for (const key of new Set(keys)) {
      if (key === undefined) continue;
      if (this.#deferred !== undefined) {
        this.#deferred.add(key);
        continue;
      }
      if (this.#rebuildOne(key, part)) changed.add(key);
      if (part !== 'endpoints') for (const route of this.#routes.attachedTo(key)) touched.add(route);
    }
    if (this.#deferred !== undefined) touched.forEach((route) => this.#deferredRoutes.add(route));
    else this.#refreshStatuses(touched);
    return changed;
  }

  #rebuildOne(key: string, part: ModelPart): boolean {
    const service = this.#services.get(key);
    const current = this.#models.get(key);
    // Route entries depend on Services and their ports, never on endpoints: an EndpointSlice
    // change keeps them, and the busiest path does no route work.
    const routes =
      part === 'endpoints' && current !== undefined ? (current.routes ?? []) : this.#routes.join(key, service, (backend) => this.#backendProblem(backend) === undefined);
    if (service === undefined) return this.#models.delete(key);
    const base = part !== 'routes' || current === undefined ? buildServiceModel(service, this.#slicesByService.get(key)?.values() ?? []) : current;
    const model = withRoutes(base, routes);
    if (isDeepStrictEqual(current, model)) return false;
    this.#models.set(key, model);
    return true;
  }

  /** Rebuilds a Gateway's model, its Routes' outcomes and its status; returns whether the model changed. */
  #rebuildGateway(key: string): boolean {
    const gateway = this.#gateways.get(key);
    if (gateway === undefined) {
      this.#routes.setGatewayOutcomes(key, undefined);
      if (this.#gatewayStatuses.delete(key)) this.#tellGatewayStatus(key, undefined);
      return this.#gatewayModels.delete(key);
    }
    const joined = joinGateway(gateway, this.#routes.attachedToGateway(key), (backend) => this.#backendProblem(backend) === undefined);
    this.#routes.setGatewayOutcomes(key, joined.outcomes);
    const status = gatewayStatus(gateway, joined.attachedRoutes);
    if (!isDeepStrictEqual(this.#gatewayStatuses.get(key), status)) {
      this.#gatewayStatuses.set(key, status);
      this.#tellGatewayStatus(key, status);
    }
    if (isDeepStrictEqual(this.#gatewayModels.get(key), joined.model)) return false;
    this.#gatewayModels.set(key, joined.model);
    return true;
  }

  #tellGatewayStatus(key: string, status: GatewayStatusModel | undefined): void {
    try {
      this.#onGatewayStatus?.(key, status);
    } catch (error) {
      log.error({ gateway: key, error: (error as Error).message }, 'a gateway status listener failed');
    }
  }

  #backendProblem(backend: BackendRefRecord): BackendProblem | undefined {
    const ref = `${backend.namespace}/${backend.name}`;
    if (backend.invalidKind !== undefined) return { reason: 'InvalidKind', message: `backendRef ${ref} is a ${backend.invalidKind}: only core Services are supported` };
    const service = this.#services.get(serviceKey(backend.namespace, backend.name));
    if (service === undefined) {
      const unwatched = this.#namespaces !== undefined && !this.#namespaces.has(backend.namespace) ? ' (kube-xds does not watch its namespace)' : '';
      return { reason: 'BackendNotFound', message: `Service ${ref} does not exist${unwatched}` };
    }
    if (!service.ports.some((port) => port.port === backend.port)) return { reason: 'BackendNotFound', message: `Service ${ref} has no port ${backend.port}` };
    return undefined;
  }

  #refreshStatuses(routes: ReadonlySet<string>): void {
    if (routes.size === 0) return;
    for (const [key, status] of this.#routes.refreshStatuses(routes, (backend) => this.#backendProblem(backend))) {
      this.#warnAbout(key, status);
      try {
        this.#onRouteStatus?.(key, status);
      } catch (error) {
        log.error({ route: key, error: (error as Error).message }, 'a route status listener failed');
      }
    }
  }

  /** Once per Route version and problem: a Route not (wholly) applied is logged, with why. */
  #warnAbout(key: string, status: RouteStatusModel | undefined): void {
    if (status === undefined || healthy(status)) {
      this.#warned.delete(key);
      return;
    }
    const problems = status.parents.flatMap((parent) =>
      parent.conditions
        .filter((condition) => condition.type === 'PartiallyInvalid' || condition.status === 'False')
        .map((condition) => ({ parent: `${String(parent.parentRef.namespace ?? status.namespace)}/${String(parent.parentRef.name)}`, condition: condition.type, reason: condition.reason, message: condition.message })),
    );
    const signature = JSON.stringify([status.generation, problems]);
    if (this.#warned.get(key) === signature) return;
    this.#warned.set(key, signature);
    log.warn({ route: key, generation: status.generation, problems }, 'a Route is not wholly applied; its status says why');
  }

  #guard(kind: ObjectKind, object: unknown, change: () => ReadonlySet<string>): ReadonlySet<string> {
    return this.#guarded(kind, () => {
      const ref = readRef(kind, object);
      return `${kind}/${refKey(ref)}`;
    }, change);
  }

  #guardRoute(kind: RouteKind, object: unknown, change: () => ReadonlySet<string>): ReadonlySet<string> {
    return this.#guarded(kind, () => {
      const { namespace, name } = readRouteRef(kind, object);
      return routeKey(kind, namespace, name);
    }, change);
  }

  /** `identify` gives the object's `kind/namespace/name` (or throws KXDS_BAD_OBJECT). */
  #guarded(kind: string, identify: () => string, change: () => ReadonlySet<string>): ReadonlySet<string> {
    let key: string | undefined;
    try {
      key = identify();
      const changed = change();
      this.#rejected.delete(key);
      return changed;
    } catch (error) {
      if (!(error instanceof KubeXdsError) || error.code !== ErrorCode.BadObject) throw error;
      this.#badObjects++;
      // Only an apply can fail once the object is identified; a deletion needs nothing more.
      if (key !== undefined) this.#rejected.add(key);
      log.warn({ code: error.code, error: error.message, ...error.context, kind }, 'skipping a malformed Kubernetes object');
      this.#onBadObject?.(error);
      return nothing;
    }
  }
}

/** What a rebuild recomputes: everything, the endpoints alone, or the route entries alone. */
type ModelPart = 'all' | 'endpoints' | 'routes';

/** The model with these route entries (none: no `routes` field, as before Routes existed). */
function withRoutes(base: ServiceModel, routes: readonly RouteEntryModel[]): ServiceModel {
  const { routes: _previous, ...rest } = base;
  if (routes.length === 0) return _previous === undefined ? base : Object.freeze(rest);
  return Object.freeze({ ...rest, routes });
}
