// Envoy as a central gateway (docs/design.md §5): listeners on the gateway ports route by
// `:authority` to every Service port, and the listeners of Gateways of kube-xds's class.
import { envoyListener } from './envoy-listener.ts';
import type { EnvoyRoutingLayout } from './envoy-routing.ts';
import { gatewayListenerName, gatewayListenerRouteConfigName, gatewayRouteConfigName } from './names.ts';
import type { EnvoyConfigOptions } from './options.ts';

/**
 * A listener per gateway port, all on the one RouteConfiguration, which holds every Service's
 * virtual host. A Gateway listener's hosts go there too when its port is a gateway port (the
 * Gateway's domains win a clash with a Service's, pipeline/route-table.ts), else to a
 * listener and RouteConfiguration of their port's own, while any Gateway host is on it.
 */
export function gatewayLayout(options: EnvoyConfigOptions): EnvoyRoutingLayout {
  return {
    fixedListeners: () => options.gatewayPorts.map((port) => envoyListener(gatewayListenerName(port), '0.0.0.0', port, gatewayRouteConfigName, options)),
    fixedRouteConfigs: [gatewayRouteConfigName],
    routeConfigOf: (port, gatewayListener) => (gatewayListener && !options.gatewayPorts.includes(port) ? gatewayListenerRouteConfigName(port) : gatewayRouteConfigName),
    listenersOf: (routeConfigName, port) => [envoyListener(gatewayListenerName(port), '0.0.0.0', port, routeConfigName, options)],
  };
}

