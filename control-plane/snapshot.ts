// An immutable, complete set of resources for one class of client, and the difference
// between two of them (computed once per change, not once per stream).
import { createHash } from 'node:crypto';
import { encodeResource, type MessageOf, type Resource } from './resource.ts';
import { pushOrder, type TypeUrl } from './types.ts';

export type ResourceMap = ReadonlyMap<string, Resource>;

export interface TypeChanges {
  /** Added or changed. */
  readonly changed: ReadonlySet<string>;
  readonly removed: ReadonlySet<string>;
}
export type SnapshotChanges = ReadonlyMap<TypeUrl, TypeChanges>;

export type SnapshotMessages = { readonly [T in TypeUrl]?: readonly MessageOf[T][] };

export class Snapshot {
  readonly #byType: ReadonlyMap<TypeUrl, ResourceMap>;
  readonly #versions = new Map<TypeUrl, string>();

  constructor(byType: ReadonlyMap<TypeUrl, ResourceMap>) {
    this.#byType = byType;
  }

  static fromMessages(messages: SnapshotMessages): Snapshot {
    const resources = new Map<TypeUrl, Resource[]>();
    for (const type of pushOrder) {
      const list = (messages[type] ?? []) as readonly MessageOf[TypeUrl][];
      resources.set(type, list.map((message) => encodeResource(type, message)));
    }
    return Snapshot.fromResources(resources);
  }

  /** Throws when two resources of one type share a name. */
  static fromResources(resources: ReadonlyMap<TypeUrl, readonly Resource[]>): Snapshot {
    const byType = new Map<TypeUrl, ResourceMap>();
    for (const type of pushOrder) byType.set(type, toResourceMap(resources.get(type) ?? []));
    return new Snapshot(byType);
  }

  resources(type: TypeUrl): ResourceMap {
    return this.#byType.get(type) ?? emptyMap;
  }

  /** A hash of every name and version of the type: equal content, equal version. */
  version(type: TypeUrl): string {
    let version = this.#versions.get(type);
    if (version === undefined) {
      version = versionOf(this.resources(type).values());
      this.#versions.set(type, version);
    }
    return version;
  }

  /** A new snapshot with some resources of one type added, replaced or removed. */
  patch(type: TypeUrl, upserts: Iterable<Resource>, removals: Iterable<string> = []): Snapshot {
    const next = new Map(this.resources(type));
    for (const name of removals) next.delete(name);
    for (const resource of upserts) next.set(resource.name, resource);
    const byType = new Map(this.#byType);
    byType.set(type, sortedByName(next));
    return new Snapshot(byType);
  }
}

const emptyMap: ResourceMap = new Map();

export function versionOf(resources: Iterable<Resource>): string {
  const hash = createHash('sha256');
  for (const resource of resources) hash.update(resource.name).update('\0').update(resource.version).update('\n');
  return hash.digest('base64url').slice(0, 16);
}

function toResourceMap(resources: readonly Resource[]): ResourceMap {
  const map = new Map<string, Resource>();
  for (const resource of resources) {
    if (map.has(resource.name)) throw new Error(`duplicate ${resource.type} resource "${resource.name}"`);
    map.set(resource.name, resource);
  }
  return sortedByName(map);
}

function sortedByName(map: Map<string, Resource>): ResourceMap {
  return new Map([...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function diffSnapshots(previous: Snapshot, next: Snapshot): SnapshotChanges {
  const changes = new Map<TypeUrl, TypeChanges>();
  for (const type of pushOrder) {
    const before = previous.resources(type);
    const after = next.resources(type);
    if (before === after) continue;
    const changed = new Set<string>();
    const removed = new Set<string>();
    for (const [name, resource] of after) if (before.get(name)?.version !== resource.version) changed.add(name);
    for (const name of before.keys()) if (!after.has(name)) removed.add(name);
    if (changed.size > 0 || removed.size > 0) changes.set(type, { changed, removed });
  }
  return changes;
}
