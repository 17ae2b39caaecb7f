// A Service whose routes send a share of requests to a backend that does not exist gets a
// cluster of its own with no endpoint (names.ts, unresolvedClusterName): that share fails
// fast with UNAVAILABLE (Envoy: 503 "no healthy upstream", UNAVAILABLE to a gRPC caller) and
// never lands on another backend. A cluster name that resolves to nothing would do the same
// only after a gRPC client's does-not-exist timer (15 s), holding those calls until then.
import type { envoy } from '../generated/envoy.js';
import type { ServiceModel } from '../k8s/model.ts';
import { needsUnresolvedCluster } from './mesh-routes.ts';
import { unresolvedClusterName } from './names.ts';
import type { EnvoyConfigOptions } from './options.ts';
import { emptyResourceSet, type ResourceSet } from './resource-set.ts';

/** Its ClusterLoadAssignment, when the Service needs the cluster: the same for every class. */
export function unresolvedAssignments(service: ServiceModel, options: EnvoyConfigOptions): envoy.config.endpoint.v3.IClusterLoadAssignment[] {
  return needsUnresolvedCluster(service) ? [{ cluster_name: unresolvedClusterName(service, options.clusterDomain), endpoints: [] }] : [];
}

/** The cluster (as the class builds its EDS clusters) and its empty ClusterLoadAssignment, or nothing. */
export function unresolvedClusterResources(service: ServiceModel, options: EnvoyConfigOptions, cluster: (name: string) => envoy.config.cluster.v3.ICluster): ResourceSet {
  const endpoints = unresolvedAssignments(service, options);
  return { ...emptyResourceSet(), clusters: endpoints.map((assignment) => cluster(assignment.cluster_name!)), endpoints };
}
