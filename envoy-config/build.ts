// The builders by client class. Listeners and routes of a proxyless client belong to one
// Service each; Envoy's span Services: they are built from the whole model, or kept up to
// date a Service at a time from its virtual hosts and its class's layout.
import type { GatewayModel } from '../k8s/gateway-model.ts';
import type { ServiceModel } from '../k8s/model.ts';
import { envoyServiceResources } from './envoy-cluster.ts';
import { gatewayLayout } from './envoy-gateway.ts';
import { envoyRouting, type EnvoyRoutingLayout } from './envoy-routing.ts';
import { gatewayVirtualHosts } from './gateway-routes.ts';
import { sidecarLayout } from './envoy-sidecar.ts';
import type { EnvoyConfigOptions } from './options.ts';
import { proxylessServiceResources } from './proxyless.ts';
import { emptyResourceSet, mergeResourceSets, type ClientClass, type ResourceSet } from './resource-set.ts';

/** The resources that depend on this Service alone (for Envoy: its clusters and endpoints). */
export function serviceResources(service: ServiceModel, clientClass: ClientClass, options: EnvoyConfigOptions): ResourceSet {
  return clientClass === 'proxyless' ? proxylessServiceResources(service, options) : envoyServiceResources(service, options);
}

/**
 * The class whose serviceResources stand for this one's: the gateway and the sidecar get the
 * same messages (envoyServiceResources), so a Service's are built and encoded once for both.
 */
export function serviceResourcesBuiltAs(clientClass: ClientClass): ClientClass {
  return clientClass === 'sidecar' ? 'gateway' : clientClass;
}

/** Envoy's listeners and RouteConfigurations, which span Services and, for the gateway, Gateways (none for proxyless). */
export function sharedRouting(services: readonly ServiceModel[], clientClass: ClientClass, options: EnvoyConfigOptions, gateways: readonly GatewayModel[] = []): ResourceSet {
  const layout = envoyRoutingLayout(clientClass, options);
  const gatewayHosts = clientClass === 'gateway' ? gateways.flatMap((gateway) => gatewayVirtualHosts(gateway, options)) : [];
  return layout ? envoyRouting(layout, services, options, gatewayHosts) : emptyResourceSet();
}

/** Where Envoy's virtual hosts go and which listeners serve them; none for proxyless. */
export function envoyRoutingLayout(clientClass: ClientClass, options: EnvoyConfigOptions): EnvoyRoutingLayout | undefined {
  switch (clientClass) {
    case 'proxyless':
      return undefined;
    case 'gateway':
      return gatewayLayout(options);
    case 'sidecar':
      return sidecarLayout(options);
  }
}

/** Every resource of a client class for the whole model, each list sorted by name. */
export function buildResourceSet(services: Iterable<ServiceModel>, clientClass: ClientClass, options: EnvoyConfigOptions, gateways: readonly GatewayModel[] = []): ResourceSet {
  const all = [...services];
  return mergeResourceSets([sharedRouting(all, clientClass, options, gateways), ...all.map((service) => serviceResources(service, clientClass, options))]);
}
