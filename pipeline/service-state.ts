// What the pipeline keeps of one Service: the encoded resources of its last good build for
// every class, with its endpoints kept apart so that the fast path can replace them alone,
// and its share of Envoy's RouteConfigurations, which span Services.
import type { Resource } from '../control-plane/resource.ts';
import { TypeUrl } from '../control-plane/types.ts';
import type { EnvoyConfigOptions } from '../envoy-config/options.ts';
import { serviceResourcesBuiltAs } from '../envoy-config/build.ts';
import { clientClasses, type ClientClass, type ResourceSet } from '../envoy-config/resource-set.ts';
import type { ServiceModel } from '../k8s/model.ts';
import type { Builders } from './builders.ts';
import { byVersion, duplicateName, encodeLoadAssignments, encodeResourceSets, type EncodedResources } from './encoding.ts';
import { encodeVirtualHost, type EncodedVirtualHost } from './virtual-host-bytes.ts';

export interface ServiceState {
  /** The model the resources were built from (the endpoints' model after a fast-path change). */
  readonly model: ServiceModel;
  /** Everything of the model but the endpoints: an equal shape means only endpoints can differ. */
  readonly shape: string;
  /** Clusters, listeners and routes per class: no ClusterLoadAssignments. */
  readonly byClass: ReadonlyMap<ClientClass, EncodedResources>;
  /** The ClusterLoadAssignments, the same for every class. */
  readonly endpoints: readonly Resource[];
  /** Its virtual hosts in Envoy's RouteConfigurations, the same for the gateway and the sidecar. */
  readonly routing: readonly EncodedVirtualHost[];
}

export type ServiceBuild =
  | { readonly state: ServiceState }
  /** Two resources of one type share a name (two ports that alias each other). */
  | { readonly clash: { readonly clientClass: ClientClass; readonly name: string } };

/**
 * Builds and encodes a Service for every class. Throws when a builder does. Its
 * ClusterLoadAssignments are encoded once (the first class's), and classes whose builds
 * are the same messages share one. Resources whose content `previous` (the Service's last
 * state) already has are kept rather than encoded anew.
 */
export function buildServiceState(service: ServiceModel, options: EnvoyConfigOptions, builders: Builders, previous?: ServiceState): ServiceBuild {
  const sets = new Map<ClientClass, ResourceSet>();
  for (const clientClass of clientClasses) {
    if (!sets.has(serviceResourcesBuiltAs(clientClass))) sets.set(clientClass, builders.serviceResources(service, clientClass, options));
  }
  const [first] = sets.values();
  const endpoints = encodeLoadAssignments(first?.endpoints ?? [], previous && byVersion(previous.endpoints));
  const encodedSets = encodeResourceSets([...sets.values()], previous && byVersion(resourcesOfEveryClass(previous)));
  const encoded = new Map([...sets.keys()].map((clientClass, index) => [clientClass, encodedSets[index]!]));
  for (const [clientClass, resources] of encoded) {
    const lists = [...resources.values()];
    const name = duplicateName(resources === encodedSets[0] ? [endpoints, ...lists] : lists); // the endpoints are the first class's
    if (name) return { clash: { clientClass, name } };
  }
  const byClass = new Map(clientClasses.map((clientClass) => [clientClass, encoded.get(clientClass) ?? encoded.get(serviceResourcesBuiltAs(clientClass))!]));
  const routing = builders.envoyVirtualHosts(service, options).map(encodeVirtualHost);
  return { state: { model: service, shape: shapeOf(service), byClass, endpoints, routing } };
}

function* resourcesOfEveryClass(state: ServiceState): Iterable<Resource> {
  for (const resources of state.byClass.values()) for (const list of resources.values()) yield* list;
}

export function resourcesOf(state: ServiceState | undefined, clientClass: ClientClass, type: TypeUrl): readonly Resource[] {
  if (!state) return [];
  return type === TypeUrl.Endpoint ? state.endpoints : state.byClass.get(clientClass)!.get(type)!;
}

export function shapeOf(service: ServiceModel): string {
  return JSON.stringify({ ...service, ports: service.ports.map(({ endpoints: _, ...port }) => port) });
}
