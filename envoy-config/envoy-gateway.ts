// Envoy as a central gateway (docs/design.md §5): listeners on the gateway ports route by
// `:authority` to every Service port.
import type { ServiceModel } from '../k8s/model.ts';
import { envoyListener } from './envoy-listener.ts';
import { envoyRouting, type EnvoyRoutingLayout } from './envoy-routing.ts';
import { gatewayListenerName, gatewayRouteConfigName } from './names.ts';
import type { EnvoyConfigOptions } from './options.ts';
import type { ResourceSet } from './resource-set.ts';

/** A listener per gateway port, all on the one RouteConfiguration, which holds every virtual host. */
export function gatewayLayout(options: EnvoyConfigOptions): EnvoyRoutingLayout {
  return {
    fixedListeners: () => options.gatewayPorts.map((port) => envoyListener(gatewayListenerName(port), '0.0.0.0', port, gatewayRouteConfigName, options)),
    fixedRouteConfigs: [gatewayRouteConfigName],
    routeConfigOf: () => gatewayRouteConfigName,
    listenersOf: () => [],
  };
}

/** The gateway's listeners and its one RouteConfiguration: they span every Service. */
export function gatewayRouting(services: readonly ServiceModel[], options: EnvoyConfigOptions): ResourceSet {
  return envoyRouting(gatewayLayout(options), services, options);
}
