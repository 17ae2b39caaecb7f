// The index both sources feed: checked Services and EndpointSlices, grouped by Service,
// and the model built from them. Each change rebuilds only the Services it touches and
// reports the keys whose model really changed. Malformed objects are logged, counted and
// skipped here, so the kube source never has to (the file source checks its objects first,
// where it can name their file); a skipped update leaves the previous good version of that
// object in place.
import { isDeepStrictEqual } from 'node:util';
import { ErrorCode, KubeXdsError } from '../common/errors.ts';
import { log } from '../common/log.ts';
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
}

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
  /** Keys whose model is rebuilt later, by rebuildDeferred(); undefined: at once. */
  #deferred: Set<string> | undefined;
  readonly #onBadObject: ((error: KubeXdsError) => void) | undefined;
  #badObjects = 0;
  /** `kind/namespace/name` of each object whose latest version was skipped, until fixed or deleted. */
  readonly #rejected = new Set<string>();

  constructor(options: StoreOptions = {}) {
    this.#namespaces = options.namespaces?.length ? new Set(options.namespaces) : undefined;
    this.#selector = options.selector;
    this.#onBadObject = options.onBadObject;
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

  /** Adds or replaces a Service; returns the keys whose model changed. */
  applyService(object: unknown): ReadonlySet<string> {
    return this.#guard('Service', object, () => {
      const service = readService(object);
      if (!this.#watches(service)) return nothing;
      const key = serviceKey(service.namespace, service.name);
      // A Service whose labels stop matching leaves the model like a deleted one.
      if (this.#selector?.matches(service.labels) === false) this.#services.delete(key);
      else this.#services.set(key, service);
      return this.#rebuild([key]);
    });
  }

  deleteService(object: unknown): ReadonlySet<string> {
    return this.#guard('Service', object, () => {
      const ref = readRef('Service', object);
      const key = serviceKey(ref.namespace, ref.name);
      return this.#services.delete(key) ? this.#rebuild([key]) : nothing;
    });
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
      return this.#rebuild([previous, owner]);
    });
  }

  deleteSlice(object: unknown): ReadonlySet<string> {
    return this.#guard('EndpointSlice', object, () => this.#rebuild([this.#unlink(readRef('EndpointSlice', object))]));
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
    return this.#rebuild(keys);
  }

  #rebuild(keys: Iterable<string | undefined>): ReadonlySet<string> {
    const changed = new Set<string>();
    for (const key of new Set(keys)) {
      if (key === undefined) continue;
      if (this.#deferred !== undefined) this.#deferred.add(key);
      else if (this.#rebuildOne(key)) changed.add(key);
    }
    return changed;
  }

  #rebuildOne(key: string): boolean {
    const service = this.#services.get(key);
    if (service === undefined) return this.#models.delete(key);
    const model = buildServiceModel(service, this.#slicesByService.get(key)?.values() ?? []);
    if (isDeepStrictEqual(this.#models.get(key), model)) return false;
    this.#models.set(key, model);
    return true;
  }

  #guard(kind: ObjectKind, object: unknown, change: () => ReadonlySet<string>): ReadonlySet<string> {
    let key: string | undefined;
    try {
      const ref = readRef(kind, object);
      key = `${kind}/${refKey(ref)}`;
      const changed = change();
      this.#rejected.delete(key);
      return changed;
    } catch (error) {
      if (!(error instanceof KubeXdsError) || error.code !== ErrorCode.BadObject) throw error;
      this.#badObjects++;
      // Only an apply can fail once the object is identified; a deletion needs nothing more.
      if (key !== undefined) this.#rejected.add(key);
      log.warn({ code: error.code, error: error.message, ...error.context }, 'skipping a malformed Kubernetes object');
      this.#onBadObject?.(error);
      return nothing;
    }
  }
}
