// Envoy as a sidecar (docs/design.md §5): one outbound listener on 127.0.0.1 per distinct Service
// port (Envoy rejects two listeners on one address), each with a virtual host per Service on
// that port. The app dials 127.0.0.1:P with its authority set to the Service name.
import { envoyListener } from './envoy-listener.ts';
import type { EnvoyRoutingLayout } from './envoy-routing.ts';
import { sidecarListenerName, sidecarRouteConfigName } from './names.ts';
import type { EnvoyConfigOptions } from './options.ts';

/** A listener and a RouteConfiguration per Service port number, while any Service has that port. */
export function sidecarLayout(options: EnvoyConfigOptions): EnvoyRoutingLayout {
  return {
    fixedListeners: () => [],
    fixedRouteConfigs: [],
    routeConfigOf: (port) => sidecarRouteConfigName(port),
    listenersOf: (routeConfigName, port) => [envoyListener(sidecarListenerName(port), '127.0.0.1', port, routeConfigName, options)],
  };
}

