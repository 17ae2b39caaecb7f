// Built resources encoded as the snapshot cache keeps them, grouped by type.
import { encodeResource, type Resource } from '../control-plane/resource.ts';
import { TypeUrl } from '../control-plane/types.ts';
import type { ResourceSet } from '../envoy-config/resource-set.ts';

export type EncodedResources = ReadonlyMap<TypeUrl, readonly Resource[]>;

export function encodeResourceSet(set: ResourceSet): Map<TypeUrl, Resource[]> {
  return new Map<TypeUrl, Resource[]>([
    [TypeUrl.Cluster, set.clusters.map((m) => encodeResource(TypeUrl.Cluster, m))],
    [TypeUrl.Endpoint, set.endpoints.map((m) => encodeResource(TypeUrl.Endpoint, m))],
    [TypeUrl.Listener, set.listeners.map((m) => encodeResource(TypeUrl.Listener, m))],
    [TypeUrl.Route, set.routes.map((m) => encodeResource(TypeUrl.Route, m))],
  ]);
}

/** A name two resources of one type share, if any. */
export function duplicateName(encoded: EncodedResources): string | undefined {
  for (const resources of encoded.values()) {
    const names = new Set<string>();
    for (const { name } of resources) {
      if (names.has(name)) return name;
      names.add(name);
    }
  }
  return undefined;
}
