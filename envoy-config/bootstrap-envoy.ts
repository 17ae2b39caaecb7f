// The bootstrap of an Envoy gateway or sidecar: everything comes over ADS from xds_cluster,
// and node metadata names the role (the control plane classifies Envoy streams by it).
import { stringify } from 'yaml';

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
  /** Default 9901. */
  readonly adminPort?: number;
  /** Default 127.0.0.1 for a sidecar (only the pod may reach it), 0.0.0.0 for a gateway. */
  readonly adminAddress?: string;
}

const xdsClusterName = 'xds_cluster';

/** Envoy bootstrap YAML (proto3 JSON field names and values). */
export function envoyBootstrapYaml(input: EnvoyBootstrapInput): string {
  const adsSource = { ads: {}, resource_api_version: 'V3' };
  const bootstrap = {
    node: { id: input.nodeId, cluster: input.nodeCluster, metadata: { [roleMetadataKey]: input.role } },
    dynamic_resources: {
      ads_config: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: xdsClusterName } }],
      },
      lds_config: adsSource,
      cds_config: adsSource,
    },
    static_resources: { clusters: [xdsCluster(input.xdsHost, input.xdsPort)] },
    admin: {
      address: {
        socket_address: { address: input.adminAddress ?? (input.role === 'sidecar' ? '127.0.0.1' : '0.0.0.0'), port_value: input.adminPort ?? 9901 },
      },
    },
  };
  // YAML 1.1, as Envoy reads it: a node id such as "no" or "on" must be quoted there.
  return stringify(bootstrap, { aliasDuplicateObjects: false, version: '1.1' });
}

function xdsCluster(host: string, port: number) {
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
  };
}
