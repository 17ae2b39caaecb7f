import type { envoy } from '../generated/envoy.js';
import { byKey } from '../common/compare.ts';

/** One client class's resources, each list sorted by resource name. */
export interface ResourceSet {
  listeners: envoy.config.listener.v3.IListener[];
  routes: envoy.config.route.v3.IRouteConfiguration[];
  clusters: envoy.config.cluster.v3.ICluster[];
  endpoints: envoy.config.endpoint.v3.IClusterLoadAssignment[];
}

/** Proxyless gRPC clients, or Envoy in one of the two roles its bootstrap names. */
export type ClientClass = 'proxyless' | 'gateway' | 'sidecar';

export const clientClasses: readonly ClientClass[] = Object.freeze(['proxyless', 'gateway', 'sidecar']);

export function emptyResourceSet(): ResourceSet {
  return { listeners: [], routes: [], clusters: [], endpoints: [] };
}

/** Concatenates sets and sorts every list by resource name. */
export function mergeResourceSets(sets: readonly ResourceSet[]): ResourceSet {
  return {
    listeners: sets.flatMap((set) => set.listeners).sort(byKey((listener) => listener.name ?? '')),
    routes: sets.flatMap((set) => set.routes).sort(byKey((route) => route.name ?? '')),
    clusters: sets.flatMap((set) => set.clusters).sort(byKey((cluster) => cluster.name ?? '')),
    endpoints: sets.flatMap((set) => set.endpoints).sort(byKey((assignment) => assignment.cluster_name ?? '')),
  };
}
