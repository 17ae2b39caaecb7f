// The bootstrap of an Envoy gateway or sidecar: everything comes over ADS from xds_cluster,
// and node metadata names the role (the control plane classifies Envoy streams by it).
// ADS is delta (DELTA_GRPC: Envoy is sent only the resources that changed) or state of the
// world (GRPC: every cluster and the whole route table again on each change).
//
// The admin API (which can stop Envoy, change its log levels or dump its config) listens on
// loopback for both roles. A gateway gets instead a readiness listener for kubelet, as Istio
// does on 15021: GET /ready is forwarded to the admin's /ready over loopback, and no other
// path is served. The gateway also waits for its first configuration without a timeout, so
// /ready (which says LIVE once Envoy's initialization is done) means "has its listeners and
// clusters from kube-xds", as an open gateway port did.
import { stringify } from 'yaml';
import { configError } from '../common/errors.ts';
import { defaultEnvoyAds, envoyAdsVariants, type EnvoyAds } from './envoy-ads.ts';
import { envoyXdsTransportSocket, type EnvoyXdsTls } from './xds-tls.ts';

export { defaultEnvoyAds, envoyAdsVariants, type EnvoyAds } from './envoy-ads.ts';
export type { EnvoyXdsTls } from './xds-tls.ts';

export type EnvoyRole = 'gateway' | 'sidecar';

/** The node metadata key the control plane reads the role from. */
export const roleMetadataKey = 'kube-xds.io/role';

export interface EnvoyBootstrapInput {
  readonly role: EnvoyRole;
  readonly nodeId: string;
  readonly nodeCluster: string;
  /** Host name or IP of the control plane's xDS port. */
  readonly xdsHost: string;
  readonly xdsPort: number;
  /** TLS (mutual with a client certificate) to the control plane; plaintext when absent. */
  readonly xdsTls?: EnvoyXdsTls;
  /** The ADS stream Envoy opens. Default defaultEnvoyAds. */
  readonly ads?: EnvoyAds;
  /** Default 9901. */
  readonly adminPort?: number;
  /** Default 127.0.0.1, for both roles: only the pod may reach the admin API. */
  readonly adminAddress?: string;
  /** Gateway only: the readiness listener's port (GET /ready). Default 15021; 0 picks a free one. */
  readonly readyPort?: number;
  /** Gateway only: the readiness listener's IP. Default 0.0.0.0 (kubelet probes the pod IP). */
  readonly readyAddress?: string;
}

export const defaultAdminAddress = '127.0.0.1';
export const defaultAdminPort = 9901;
export const defaultReadyAddress = '0.0.0.0';
export const defaultReadyPort = 15021;
/** The one path the readiness listener serves: Envoy's admin /ready (200 "LIVE" once initialized). */
export const readyPath = '/ready';

const xdsClusterName = 'xds_cluster';
/** ads_config.api_type per variant. Not AGGREGATED_DELTA_GRPC: Envoy refuses it there ("must be of non-aggregated gRPC"). */
const adsApiType: Readonly<Record<EnvoyAds, string>> = { delta: 'DELTA_GRPC', sotw: 'GRPC' };
const readyListenerName = 'readiness';
const adminClusterName = 'envoy_admin';

/** Envoy bootstrap YAML (proto3 JSON field names and values). */
export function envoyBootstrapYaml(input: EnvoyBootstrapInput): string {
  const gateway = input.role === 'gateway';
  if (!gateway && (input.readyPort !== undefined || input.readyAddress !== undefined)) {
    throw configError('the readiness listener is part of a gateway bootstrap; a sidecar has none (nothing probes it)');
  }
  const ads = input.ads ?? defaultEnvoyAds;
  if (!envoyAdsVariants.includes(ads)) throw configError(`ADS must be ${envoyAdsVariants.join(' or ')}, got "${ads}"`);
  const admin = { address: input.adminAddress ?? defaultAdminAddress, port: input.adminPort ?? defaultAdminPort };
  const ready = { address: input.readyAddress ?? defaultReadyAddress, port: input.readyPort ?? defaultReadyPort };
  if (gateway && admin.port === 0) throw configError("a gateway's admin API needs a fixed port: its readiness listener forwards /ready there");
  if (gateway && ready.port === admin.port) throw configError(`the readiness listener and the admin API cannot share port ${ready.port}`);
  // A gateway has nothing to serve before its first LDS/CDS answer: it waits for it however
  // long it takes (Envoy's default gives up after 15 s per type and turns LIVE empty).
  const adsSource = gateway ? { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' } : { ads: {}, resource_api_version: 'V3' };
  const bootstrap = {
    node: { id: input.nodeId, cluster: input.nodeCluster, metadata: { [roleMetadataKey]: input.role } },
    dynamic_resources: {
      ads_config: {
        api_type: adsApiType[ads],
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: xdsClusterName } }],
      },
      lds_config: adsSource,
      cds_config: adsSource,
    },
    static_resources: gateway
      ? { listeners: [readyListener(ready)], clusters: [xdsCluster(input), adminCluster(admin)] }
      : { clusters: [xdsCluster(input)] },
    admin: { address: { socket_address: { address: admin.address, port_value: admin.port } } },
  };
  // YAML 1.1, as Envoy reads it: a node id such as "no" or "on" must be quoted there.
  return stringify(bootstrap, { aliasDuplicateObjects: false, version: '1.1' });
}

function xdsCluster({ xdsHost: host, xdsPort: port, xdsTls }: EnvoyBootstrapInput) {
  return {
    name: xdsClusterName,
    type: 'STRICT_DNS',
    connect_timeout: '5s',
    load_assignment: {
      cluster_name: xdsClusterName,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] }],
    },
    // ADS is gRPC, so HTTP/2. HTTP/2 PINGs notice a control plane that vanished silently
    // even through middleboxes (kube-xds does not police ping rates); TCP keepalive backs them up.
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http2_protocol_options: { connection_keepalive: { interval: '30s', timeout: '5s' } } },
      },
    },
    upstream_connection_options: { tcp_keepalive: { keepalive_probes: 3, keepalive_time: 30, keepalive_interval: 5 } },
    ...(xdsTls && { transport_socket: envoyXdsTransportSocket(xdsTls, host) }),
  };
}

/** Serves GET /ready (the exact path; a query string is ignored) from the admin API, and 404 for anything else. */
function readyListener({ address, port }: { address: string; port: number }) {
  return {
    name: readyListenerName,
    address: { socket_address: { address, port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: readyListenerName,
              route_config: {
                name: readyListenerName,
                virtual_hosts: [
                  { name: readyListenerName, domains: ['*'], routes: [{ match: { path: readyPath }, route: { cluster: adminClusterName } }] },
                ],
              },
              http_filters: [
                {
                  name: 'envoy.filters.http.router',
                  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

/** The admin API as an upstream, over loopback (an admin bound to a wildcard is reached there too). */
function adminCluster({ address, port }: { address: string; port: number }) {
  const host = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
  return {
    name: adminClusterName,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: adminClusterName,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] }],
    },
  };
}
