// Resources for proxyless gRPC clients (grpc-go, grpc-java, C-core, grpc-js), per docs/compatibility.md.
import { envoy } from '../generated/envoy.js';
import type { ServiceModel, ServicePortModel } from '../k8s/model.ts';
import { packAny } from './any.ts';
import { edsCluster } from './eds-cluster.ts';
import { clusterLoadAssignment } from './endpoints.ts';
import { packedHttpConnectionManager } from './http-connection-manager.ts';
import { meshRoutes } from './mesh-routes.ts';
import { clusterName, proxylessAuthorities, proxylessRouteConfigName } from './names.ts';
import type { EnvoyConfigOptions } from './options.ts';
import { routablePorts } from './ports.ts';
import { mergeResourceSets, type ResourceSet } from './resource-set.ts';
import { unresolvedClusterResources } from './unresolved-cluster.ts';

const lbPolicies = envoy.extensions.load_balancing_policies;

export function proxylessServiceResources(service: ServiceModel, options: EnvoyConfigOptions): ResourceSet {
  const unresolved = unresolvedClusterResources(service, options, proxylessCluster);
  return mergeResourceSets([...routablePorts(service).map((port) => proxylessPortResources(service, port, options)), unresolved]);
}

function proxylessPortResources(service: ServiceModel, port: ServicePortModel, options: EnvoyConfigOptions): ResourceSet {
  const routeConfigName = proxylessRouteConfigName(service, port, options.clusterDomain);
  const cluster = clusterName(service, port, options.clusterDomain);
  const authorities = proxylessAuthorities(service, port, options.clusterDomain);
  const manager = packedHttpConnectionManager('proxyless', routeConfigName);
  return {
    // Every alias is its own Listener (clients request the name they dial), all alike.
    listeners: authorities.map((name) => ({ name, api_listener: { api_listener: manager } })),
    routes: [
      {
        name: routeConfigName,
        virtual_hosts: [{ name: routeConfigName, domains: authorities, routes: [...meshRoutes(service, port, 'proxyless', options), { match: { prefix: '' }, route: { cluster } }] }],
      },
    ],
    clusters: [proxylessCluster(cluster)],
    endpoints: [clusterLoadAssignment(service, port, options)],
  };
}

// The same for every cluster: packed once.
const wrrLocality = Object.freeze(
  packAny(lbPolicies.wrr_locality.v3.WrrLocality, {
    endpoint_picking_policy: {
      policies: [{ typed_extension_config: { name: 'envoy.load_balancing_policies.round_robin', typed_config: packAny(lbPolicies.round_robin.v3.RoundRobin, {}) } }],
    },
  }),
);

// Clients that read load_balancing_policy take it over lb_policy, C-core 1.51 reads only
// lb_policy: this pair means the same to all (round robin in a zone, zones weighted).
function proxylessCluster(name: string): envoy.config.cluster.v3.ICluster {
  return {
    ...edsCluster(name),
    load_balancing_policy: { policies: [{ typed_extension_config: { name: 'envoy.load_balancing_policies.wrr_locality', typed_config: wrrLocality } }] },
  };
}
