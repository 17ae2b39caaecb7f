// The state of every Service, and how a change updates it: a Service whose shape is
// unchanged takes the endpoints fast path; any other change rebuilds it. A rebuild that
// throws or whose resource names clash is refused and the Service keeps its state, so one
// bad object can never make a whole snapshot invalid. Names of different Services cannot
// clash: they all contain the namespace and name.
import { describeError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import type { Resource } from '../control-plane/resource.ts';
import type { EnvoyConfigOptions } from '../envoy-config/options.ts';
import type { ServiceModel } from '../k8s/model.ts';
import type { Builders } from './builders.ts';
import { byVersion, encodeLoadAssignments } from './encoding.ts';
import { buildServiceState, shapeOf, type ServiceState } from './service-state.ts';

export interface AppliedChanges {
  /** ClusterLoadAssignments the fast path replaced: the same names, new contents. */
  readonly endpointUpserts: readonly Resource[];
  /** Services rebuilt, added, removed or refused, each with its state before the change. */
  readonly rebuilt: ReadonlyMap<string, ServiceState | undefined>;
  /** Change keys of the Gateways rebuilt or removed (pipeline/gateway-states.ts). */
  readonly gateways?: ReadonlySet<string>;
}

export class ServiceStates {
  readonly #options: EnvoyConfigOptions;
  readonly #builders: Builders;
  readonly #states = new Map<string, ServiceState>();
  readonly #conflicting = new Set<string>();
  #failedBuilds = 0;

  constructor(options: EnvoyConfigOptions, builders: Builders) {
    this.#options = options;
    this.#builders = builders;
  }

  get(key: string): ServiceState | undefined {
    return this.#states.get(key);
  }

  all(): IterableIterator<ServiceState> {
    return this.#states.values();
  }

  /** Every Service's state by key. */
  entries(): IterableIterator<[string, ServiceState]> {
    return this.#states.entries();
  }

  /** Builds that threw; the Service kept its previous state. */
  get failedBuilds(): number {
    return this.#failedBuilds;
  }

  /** Services refused because two of their resources share a name. */
  get conflictingServices(): number {
    return this.#conflicting.size;
  }

  buildAll(services: ReadonlyMap<string, ServiceModel>): void {
    for (const [key, service] of services) this.#rebuild(key, service);
  }

  /** Brings the changed Services up to date with `services` (the source's current model). */
  apply(keys: Iterable<string>, services: ReadonlyMap<string, ServiceModel>): AppliedChanges {
    const endpointUpserts: Resource[] = [];
    const rebuilt = new Map<string, ServiceState | undefined>();
    for (const key of keys) {
      const service = services.get(key);
      const state = this.#states.get(key);
      if (service && state && state.shape === shapeOf(service)) {
        this.#conflicting.delete(key); // back to the shape of its last good build
        const endpoints = this.#loadAssignments(key, service);
        if (!endpoints) continue;
        this.#states.set(key, { ...state, model: service, endpoints });
        endpointUpserts.push(...endpoints);
        continue;
      }
      rebuilt.set(key, state);
      if (service) this.#rebuild(key, service);
      else {
        this.#states.delete(key);
        this.#conflicting.delete(key);
      }
    }
    return { endpointUpserts, rebuilt };
  }

  #rebuild(key: string, service: ServiceModel): void {
    try {
      const build = buildServiceState(service, this.#options, this.#builders, this.#states.get(key));
      if ('clash' in build) {
        this.#conflicting.add(key);
        log.error({ service: key, class: build.clash.clientClass, clash: build.clash.name }, 'refusing a Service whose resource names clash; it keeps its previous resources');
        return;
      }
      this.#conflicting.delete(key);
      this.#states.set(key, build.state);
    } catch (error) {
      this.#failedBuilds++;
      log.error({ service: key, error: describeError(error) }, 'cannot build resources for a Service; keeping its previous ones');
    }
  }

  #loadAssignments(key: string, service: ServiceModel): Resource[] | undefined {
    try {
      const previous = this.#states.get(key)?.endpoints;
      return encodeLoadAssignments(this.#builders.serviceLoadAssignments(service, this.#options), previous && byVersion(previous));
    } catch (error) {
      this.#failedBuilds++;
      log.error({ service: key, error: describeError(error) }, 'cannot build endpoints for a Service; keeping its previous ones');
      return undefined;
    }
  }
}
