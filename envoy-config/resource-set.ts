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
    listeners: sortedConcat(sets.map((set) => set.listeners), (listener) => listener.name ?? ''),
    routes: sortedConcat(sets.map((set) => set.routes), (route) => route.name ?? ''),
    clusters: sortedConcat(sets.map((set) => set.clusters), (cluster) => cluster.name ?? ''),
    endpoints: sortedConcat(sets.map((set) => set.endpoints), (assignment) => assignment.cluster_name ?? ''),
  };
}

// Called for every Service in every class, mostly with one list of one item: no flatMap, no
// comparator for what needs no sorting.
function sortedConcat<T>(lists: readonly T[][], key: (item: T) => string): T[] {
  const all = lists.length === 1 ? [...lists[0]!] : ([] as T[]).concat(...lists);
  return all.length < 2 ? all : all.sort(byKey(key));
}
