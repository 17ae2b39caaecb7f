// The builders by client class. Listeners and routes of a proxyless client belong to one
// Service each; Envoy's span Services, so they are built from the whole model.
import type { ServiceModel } from '../k8s/model.ts';
import { envoyServiceResources } from './envoy-cluster.ts';
import { gatewayRouting } from './envoy-gateway.ts';
import { sidecarRouting } from './envoy-sidecar.ts';
import type { EnvoyConfigOptions } from './options.ts';
import { proxylessServiceResources } from './proxyless.ts';
import { emptyResourceSet, mergeResourceSets, type ClientClass, type ResourceSet } from './resource-set.ts';

/** The resources that depend on this Service alone (for Envoy: its clusters and endpoints). */
export function serviceResources(service: ServiceModel, clientClass: ClientClass, options: EnvoyConfigOptions): ResourceSet {
  return clientClass === 'proxyless' ? proxylessServiceResources(service, options) : envoyServiceResources(service, options);
}

/** Envoy's listeners and RouteConfigurations, which span Services (none for proxyless). */
export function sharedRouting(services: readonly ServiceModel[], clientClass: ClientClass, options: EnvoyConfigOptions): ResourceSet {
  switch (clientClass) {
    case 'proxyless':
      return emptyResourceSet();
    case 'gateway':
      return gatewayRouting(services, options);
    case 'sidecar':
      return sidecarRouting(services, options);
  }
}

/** Every resource of a client class for the whole model, each list sorted by name. */
export function buildResourceSet(services: Iterable<ServiceModel>, clientClass: ClientClass, options: EnvoyConfigOptions): ResourceSet {
  const all = [...services];
  return mergeResourceSets([sharedRouting(all, clientClass, options), ...all.map((service) => serviceResources(service, clientClass, options))]);
}
