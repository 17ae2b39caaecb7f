// The envoy-config builders the pipeline calls, as one value: a test can make one fail.
import { envoyRoutingLayout, serviceResources } from '../envoy-config/build.ts';
import { serviceLoadAssignments } from '../envoy-config/endpoints.ts';
import { envoyVirtualHosts } from '../envoy-config/envoy-routes.ts';
import { gatewayVirtualHosts } from '../envoy-config/gateway-routes.ts';

export interface Builders {
  /** The resources that depend on one Service alone, for one class. */
  readonly serviceResources: typeof serviceResources;
  /** A Service's virtual hosts in Envoy's RouteConfigurations (the same for the gateway and the sidecar), domains unsettled. */
  readonly envoyVirtualHosts: typeof envoyVirtualHosts;
  /** A Gateway's virtual hosts for the gateway role, domains unsettled. */
  readonly gatewayVirtualHosts: typeof gatewayVirtualHosts;
  /** Where a class puts Envoy's virtual hosts, and the listeners that serve them (none for proxyless). */
  readonly envoyRoutingLayout: typeof envoyRoutingLayout;
  /** A Service's ClusterLoadAssignments (the same for every class): the endpoints fast path. */
  readonly serviceLoadAssignments: typeof serviceLoadAssignments;
}

export const envoyConfigBuilders: Builders = Object.freeze({ serviceResources, envoyVirtualHosts, gatewayVirtualHosts, envoyRoutingLayout, serviceLoadAssignments });
