// Envoy as a sidecar (docs/design.md §5): one outbound listener on 127.0.0.1 per distinct Service
// port (Envoy rejects two listeners on one address), each with a virtual host per Service on
// that port. The app dials 127.0.0.1:P with its authority set to the Service name.
import type { ServiceModel } from '../k8s/model.ts';
import { groupBy } from './collections.ts';
import { envoyListener } from './envoy-listener.ts';
import { envoyRouteConfiguration } from './envoy-routes.ts';
import { sidecarListenerName, sidecarRouteConfigName } from './names.ts';
import type { EnvoyConfigOptions } from './options.ts';
import { routableServicePorts } from './ports.ts';
import { mergeResourceSets, type ResourceSet } from './resource-set.ts';

/** The sidecar's listeners and RouteConfigurations: they span every Service on a port. */
export function sidecarRouting(services: readonly ServiceModel[], options: EnvoyConfigOptions): ResourceSet {
  const byPort = groupBy(routableServicePorts(services), ({ port }) => port.port);
  return mergeResourceSets(
    [...byPort].map(([port, sharing]) => ({
      listeners: [envoyListener(sidecarListenerName(port), '127.0.0.1', port, sidecarRouteConfigName(port), options)],
      routes: [envoyRouteConfiguration(sidecarRouteConfigName(port), sharing, options)],
      clusters: [],
      endpoints: [],
    })),
  );
}
