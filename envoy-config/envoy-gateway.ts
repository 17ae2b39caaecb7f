// Envoy as a central gateway (docs/design.md §5): listeners on the gateway ports route by
// `:authority` to every Service port.
import type { ServiceModel } from '../k8s/model.ts';
import { envoyListener } from './envoy-listener.ts';
import { envoyRouteConfiguration } from './envoy-routes.ts';
import { gatewayListenerName, gatewayRouteConfigName } from './names.ts';
import type { EnvoyConfigOptions } from './options.ts';
import { routableServicePorts } from './ports.ts';
import { emptyResourceSet, mergeResourceSets, type ResourceSet } from './resource-set.ts';

/** The gateway's listeners and its one RouteConfiguration: they span every Service. */
export function gatewayRouting(services: readonly ServiceModel[], options: EnvoyConfigOptions): ResourceSet {
  return mergeResourceSets([
    {
      ...emptyResourceSet(),
      listeners: options.gatewayPorts.map((port) => envoyListener(gatewayListenerName(port), '0.0.0.0', port, gatewayRouteConfigName, options)),
      routes: [envoyRouteConfiguration(gatewayRouteConfigName, routableServicePorts(services), options)],
    },
  ]);
}
