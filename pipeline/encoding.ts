// Built resources encoded as the snapshot cache keeps them, grouped by type.
import { encodeResources, type Resource, type ResourceMessage, type ReusableResources } from '../control-plane/resource.ts';
import { TypeUrl, type ClusterLoadAssignment } from '../control-plane/types.ts';
import type { ResourceSet } from '../envoy-config/resource-set.ts';

export type EncodedResources = ReadonlyMap<TypeUrl, readonly Resource[]>;

/**
 * The sets' clusters, listeners and routes (not their endpoints), encoded together into one
 * buffer (see encodeResources), each set's grouped by type.
 */
export function encodeResourceSets(sets: readonly ResourceSet[], reusable?: ReusableResources): Map<TypeUrl, Resource[]>[] {
  const messages: ResourceMessage[] = [];
  for (const set of sets) {
    for (const message of set.clusters) messages.push({ type: TypeUrl.Cluster, message });
    for (const message of set.listeners) messages.push({ type: TypeUrl.Listener, message });
    for (const message of set.routes) messages.push({ type: TypeUrl.Route, message });
  }
  const resources = encodeResources(messages, reusable);
  let taken = 0;
  const take = (count: number) => resources.slice(taken, (taken += count));
  return sets.map(
    (set) =>
      new Map([
        [TypeUrl.Cluster, take(set.clusters.length)],
        [TypeUrl.Listener, take(set.listeners.length)],
        [TypeUrl.Route, take(set.routes.length)],
      ]),
  );
}

/** ClusterLoadAssignments in a buffer of their own: the endpoints fast path replaces them alone. */
export function encodeLoadAssignments(assignments: readonly ClusterLoadAssignment[], reusable?: ReusableResources): Resource[] {
  return encodeResources(assignments.map((message) => ({ type: TypeUrl.Endpoint, message })), reusable);
}

/** Resources by version: those a rebuild may reuse. */
export function byVersion(resources: Iterable<Resource>): Map<string, Resource> {
  const map = new Map<string, Resource>();
  for (const resource of resources) map.set(resource.version, resource);
  return map;
}

/** A name two resources of one list share, if any. */
export function duplicateName(lists: Iterable<readonly Resource[]>): string | undefined {
  for (const resources of lists) {
    if (resources.length < 2) continue;
    const names = new Set<string>();
    for (const { name } of resources) {
      if (names.has(name)) return name;
      names.add(name);
    }
  }
  return undefined;
}
