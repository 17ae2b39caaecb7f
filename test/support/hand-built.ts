// A hand-built proxyless snapshot (independent of envoy-config/), so control-plane tests
// exercise the protocol without depending on the builders.
import { envoy, google } from '../../generated/envoy.js';
import type { SnapshotMessages } from '../../control-plane/snapshot.ts';
import { TypeUrl } from '../../control-plane/types.ts';

const v3 = envoy.config;
const ads = { ads: {}, resource_api_version: v3.core.v3.ApiVersion.V3 };

function pack(typeName: string, bytes: Uint8Array): google.protobuf.IAny {
  return { type_url: `type.googleapis.com/${typeName}`, value: bytes };
}

export interface HandBuiltService {
  /** The dialed target without scheme, e.g. "echo.demo.svc.cluster.local:50051". */
  readonly target: string;
  readonly endpoints: ReadonlyArray<{ address: string; port: number; draining?: boolean }>;
}

export function clusterName(target: string): string {
  return `cluster:${target}`;
}

export function routeName(target: string): string {
  return `route:${target}`;
}

export function listener(target: string, route = routeName(target)): envoy.config.listener.v3.IListener {
  const router = pack('envoy.extensions.filters.http.router.v3.Router', envoy.extensions.filters.http.router.v3.Router.encode({}).finish());
  const hcm = envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.encode({
    stat_prefix: 'test',
    rds: { config_source: ads, route_config_name: route },
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: router }],
  }).finish();
  return {
    name: target,
    api_listener: { api_listener: pack('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', hcm) },
  };
}

export function route(target: string, cluster = clusterName(target)): envoy.config.route.v3.IRouteConfiguration {
  return {
    name: routeName(target),
    virtual_hosts: [{ name: target, domains: [target], routes: [{ match: { prefix: '' }, route: { cluster } }] }],
  };
}

export function cluster(target: string, edsName = clusterName(target)): envoy.config.cluster.v3.ICluster {
  return {
    name: clusterName(target),
    type: v3.cluster.v3.Cluster.DiscoveryType.EDS,
    eds_cluster_config: { eds_config: ads, service_name: edsName },
    lb_policy: v3.cluster.v3.Cluster.LbPolicy.ROUND_ROBIN,
  };
}

export function loadAssignment(service: HandBuiltService): envoy.config.endpoint.v3.IClusterLoadAssignment {
  return {
    cluster_name: clusterName(service.target),
    endpoints: [{
      locality: { zone: 'zone-a' },
      load_balancing_weight: { value: Math.max(1, service.endpoints.length) },
      lb_endpoints: service.endpoints.map(({ address, port, draining }) => ({
        endpoint: { address: { socket_address: { address, port_value: port } } },
        health_status: draining ? v3.core.v3.HealthStatus.DRAINING : v3.core.v3.HealthStatus.HEALTHY,
      })),
    }],
  };
}

export function handBuiltSnapshot(services: readonly HandBuiltService[]): SnapshotMessages {
  return {
    [TypeUrl.Listener]: services.map((s) => listener(s.target)),
    [TypeUrl.Route]: services.map((s) => route(s.target)),
    [TypeUrl.Cluster]: services.map((s) => cluster(s.target)),
    [TypeUrl.Endpoint]: services.map(loadAssignment),
  };
}
