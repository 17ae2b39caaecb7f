// ClusterLoadAssignments: the same bytes serve every client class. gRPC clients use only
// HEALTHY endpoints and skip DRAINING ones; Envoy drains them (its clusters have panic mode
// off, so draining pods get no new requests however many drain at once).
import { envoy } from '../generated/envoy.js';
import type { EndpointModel, ServiceModel, ServicePortModel } from '../k8s/model.ts';
import { byKey } from '../common/compare.ts';
import { groupBy } from './collections.ts';
import { clusterName } from './names.ts';
import type { EnvoyConfigOptions } from './options.ts';
import { routablePorts } from './ports.ts';
import { unresolvedAssignments } from './unresolved-cluster.ts';

type ClusterLoadAssignment = envoy.config.endpoint.v3.IClusterLoadAssignment;
type LocalityLbEndpoints = envoy.config.endpoint.v3.ILocalityLbEndpoints;

const { HealthStatus } = envoy.config.core.v3;

/** The endpoints fast path: one ClusterLoadAssignment per routable port (and the unresolved cluster's), sorted by name. */
export function serviceLoadAssignments(service: ServiceModel, options: EnvoyConfigOptions): ClusterLoadAssignment[] {
  return [...routablePorts(service).map((port) => clusterLoadAssignment(service, port, options)), ...unresolvedAssignments(service, options)]
    .sort(byKey((assignment) => assignment.cluster_name ?? ''));
}

export function clusterLoadAssignment(service: ServiceModel, port: ServicePortModel, options: EnvoyConfigOptions): ClusterLoadAssignment {
  // As kube-proxy does: when no endpoint is ready, terminating ones that still serve are
  // used, so the last pods of a Service keep answering while they shut down.
  const endpoints = port.endpoints.some((endpoint) => endpoint.health === 'HEALTHY')
    ? port.endpoints
    : port.endpoints.map((endpoint) => ({ ...endpoint, health: 'HEALTHY' as const }));
  return {
    cluster_name: clusterName(service, port, options.clusterDomain),
    endpoints: [...groupBy(endpoints, (endpoint) => endpoint.zone)]
      .sort(byKey(([zone]) => zone))
      .map(([zone, inZone]) => localityEndpoints(zone, inZone)),
  };
}

// One entry per zone, all at priority 0: grpc-js NACKs a repeated locality or priority.
function localityEndpoints(zone: string, endpoints: readonly EndpointModel[]): LocalityLbEndpoints {
  const healthy = endpoints.filter((endpoint) => endpoint.health === 'HEALTHY').length;
  return {
    locality: { zone },
    // Weighted by what gRPC clients can use; PGV requires at least 1 even when a zone drains.
    load_balancing_weight: { value: Math.max(1, healthy) },
    lb_endpoints: endpoints.map((endpoint) => ({
      endpoint: { address: { socket_address: { address: endpoint.address, port_value: endpoint.port } } },
      health_status: endpoint.health === 'HEALTHY' ? HealthStatus.HEALTHY : HealthStatus.DRAINING,
    })),
  };
}
