// Hand-written, valid examples of every resource kube-xds sends, in the shape our builders
// produce: plain keep-case objects, Any packed with the generated code's fromObject()/encode().
import { envoy } from '../../generated/envoy.js';

interface GeneratedType<T> {
  fromObject(object: Record<string, unknown>): T;
  encode(message: T): { finish(): Uint8Array };
  getTypeUrl(): string;
}

export function pack<T>(type: GeneratedType<T>, plain: Record<string, unknown>): { type_url: string; value: Uint8Array } {
  return { type_url: type.getTypeUrl(), value: type.encode(type.fromObject(plain)).finish() };
}

export function encode<T>(type: GeneratedType<T>, plain: Record<string, unknown>): Uint8Array {
  return type.encode(type.fromObject(plain)).finish();
}

export const types = {
  Listener: envoy.config.listener.v3.Listener,
  RouteConfiguration: envoy.config.route.v3.RouteConfiguration,
  Cluster: envoy.config.cluster.v3.Cluster,
  ClusterLoadAssignment: envoy.config.endpoint.v3.ClusterLoadAssignment,
  HttpConnectionManager: envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager,
  Router: envoy.extensions.filters.http.router.v3.Router,
  WrrLocality: envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality,
  RoundRobin: envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin,
  ClientSideWeightedRoundRobin:
    envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin,
  AggregateCluster: envoy.extensions.clusters.aggregate.v3.ClusterConfig,
  HttpProtocolOptions: envoy.extensions.upstreams.http.v3.HttpProtocolOptions,
  UpstreamTlsContext: envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext,
};

export const serviceAuthority = 'foo.default.svc.cluster.local:50051';
export const serviceCluster = 'outbound|50051||foo.default.svc.cluster.local';
const ads = { ads: {}, resource_api_version: 'V3' };

export function routerFilter(): Record<string, unknown> {
  return { name: 'envoy.filters.http.router', typed_config: pack(types.Router, {}) };
}

export function connectionManager(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    stat_prefix: 'foo',
    rds: { route_config_name: serviceAuthority, config_source: ads },
    http_filters: [routerFilter()],
    ...overrides,
  };
}

/** What a proxyless gRPC client gets. */
export function apiListener(hcm = connectionManager()): Record<string, unknown> {
  return { name: serviceAuthority, api_listener: { api_listener: pack(types.HttpConnectionManager, hcm) } };
}

/** What an Envoy sidecar or gateway gets. */
export function socketListener(port = 50051, hcm = connectionManager()): Record<string, unknown> {
  return {
    name: `outbound:${port}`,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [
      { filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: pack(types.HttpConnectionManager, hcm) }] },
    ],
  };
}

export function routeConfiguration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: serviceAuthority,
    virtual_hosts: [
      {
        name: 'foo.default',
        domains: [serviceAuthority, 'foo.default:50051', 'foo.default.svc:50051', '*.example.com'],
        routes: [
          {
            match: { prefix: '' },
            route: {
              cluster: serviceCluster,
              timeout: { seconds: 0 },
              max_stream_duration: { max_stream_duration: { seconds: 300 } },
              retry_policy: { retry_on: 'unavailable', num_retries: { value: 2 } },
            },
          },
        ],
      },
    ],
    ...overrides,
  };
}

export function edsCluster(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const roundRobin = { typed_extension_config: { name: 'envoy.load_balancing_policies.round_robin', typed_config: pack(types.RoundRobin, {}) } };
  return {
    name: serviceCluster,
    type: 'EDS',
    eds_cluster_config: { eds_config: ads, service_name: serviceCluster },
    connect_timeout: { seconds: 1, nanos: 500_000_000 },
    lb_policy: 'ROUND_ROBIN',
    load_balancing_policy: {
      policies: [
        {
          typed_extension_config: {
            name: 'envoy.load_balancing_policies.wrr_locality',
            typed_config: pack(types.WrrLocality, { endpoint_picking_policy: { policies: [roundRobin] } }),
          },
        },
      ],
    },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': pack(types.HttpProtocolOptions, {
        explicit_http_config: { http2_protocol_options: { max_concurrent_streams: { value: 100 } } },
      }),
    },
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: pack(types.UpstreamTlsContext, { sni: 'foo.default.svc.cluster.local' }),
    },
    metadata: { filter_metadata: { 'kube-xds': { fields: { namespace: { stringValue: 'default' } } } } },
    ...overrides,
  };
}

export function loadAssignment(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const endpoint = (address: string, health_status: string) => ({
    endpoint: { address: { socket_address: { address, port_value: 50051 } } },
    health_status,
  });
  return {
    cluster_name: serviceCluster,
    endpoints: [
      {
        locality: { zone: 'zone-a' },
        load_balancing_weight: { value: 2 },
        lb_endpoints: [endpoint('127.0.0.2', 'HEALTHY'), endpoint('127.0.0.3', 'DRAINING')],
      },
    ],
    ...overrides,
  };
}
