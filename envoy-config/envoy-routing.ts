// Envoy's listeners and RouteConfigurations span Services. A layout says where each Service
// port's virtual host goes and which listeners serve it, so that they can be built for the
// whole model at once (below) or kept up to date one Service at a time (the pipeline does).
import type { envoy } from '../generated/envoy.js';
import type { ServiceModel } from '../k8s/model.ts';
import { envoyRouteConfiguration, envoyVirtualHosts, type VirtualHostShare } from './envoy-routes.ts';
import type { EnvoyConfigOptions } from './options.ts';
import { mergeResourceSets, type ResourceSet } from './resource-set.ts';

type Listener = envoy.config.listener.v3.IListener;

export interface EnvoyRoutingLayout {
  /** Listeners that exist whatever the Services. */
  fixedListeners(): Listener[];
  /** RouteConfigurations that exist whatever the Services (with no virtual host while none goes there). */
  readonly fixedRouteConfigs: readonly string[];
  /** The RouteConfiguration a Service port's virtual host goes to, or a Gateway listener's on that port. */
  routeConfigOf(port: number, gatewayListener?: boolean): string;
  /** The listeners of a RouteConfiguration that is not fixed, which exist while it has virtual hosts on `port`. */
  listenersOf(routeConfigName: string, port: number): Listener[];
}

/** The listeners and RouteConfigurations of `layout` for the whole model (with Gateways' hosts, for the gateway). */
export function envoyRouting(layout: EnvoyRoutingLayout, services: readonly ServiceModel[], options: EnvoyConfigOptions, gatewayHosts: readonly VirtualHostShare[] = []): ResourceSet {
  const byRouteConfig = new Map<string, VirtualHostShare[]>(layout.fixedRouteConfigs.map((name) => [name, []]));
  for (const share of [...services.flatMap((service) => envoyVirtualHosts(service, options)), ...gatewayHosts]) {
    const name = layout.routeConfigOf(share.port, share.gatewayListener);
    const shares = byRouteConfig.get(name);
    if (shares) shares.push(share);
    else byRouteConfig.set(name, [share]);
  }
  const fixed = new Set(layout.fixedRouteConfigs);
  const grouped = [...byRouteConfig].filter(([name]) => !fixed.has(name));
  return mergeResourceSets([
    {
      listeners: [...layout.fixedListeners(), ...grouped.flatMap(([name, shares]) => layout.listenersOf(name, shares[0]!.port))],
      routes: [...byRouteConfig].map(([name, shares]) => envoyRouteConfiguration(name, shares)),
      clusters: [],
      endpoints: [],
    },
  ]);
}
