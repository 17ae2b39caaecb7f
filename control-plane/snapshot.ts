// An immutable, complete set of resources for one class of client, and the difference
// between two of them. A type's version is an order-independent sum of its resources'
// digests, so patching a few resources updates it without rehashing the rest.
import { byKey } from '../common/compare.ts';
import { encodeResource, type MessageOf, type Resource } from './resource.ts';
import { pushOrder, type TypeUrl } from './types.ts';

export type ResourceMap = ReadonlyMap<string, Resource>;

export interface TypeChanges {
  /** Added or changed. */
  readonly changed: ReadonlySet<string>;
  readonly removed: ReadonlySet<string>;
}
export type SnapshotChanges = ReadonlyMap<TypeUrl, TypeChanges>;

export interface TypePatch {
  readonly upserts: Iterable<Resource>;
  readonly removals?: Iterable<string>;
}

export type SnapshotMessages = { readonly [T in TypeUrl]?: readonly MessageOf[T][] };

interface TypeEntry {
  readonly resources: ResourceMap;
  /** Sum of the digests modulo 2^64. */
  readonly sum: bigint;
  /** Formatted once: every stream of a push asks for it. */
  readonly version: string;
}

function typeEntry(resources: ResourceMap, sum: bigint): TypeEntry {
  return { resources, sum, version: formatVersion(sum, resources.size) };
}

const emptyEntry = typeEntry(new Map(), 0n);

export class Snapshot {
  /** Undefined once patched: its maps belong to the snapshot that replaced it. */
  #byType: ReadonlyMap<TypeUrl, TypeEntry> | undefined;

  private constructor(byType: ReadonlyMap<TypeUrl, TypeEntry>) {
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

  /** Resources are kept sorted by name. Throws when two resources of one type share a name. */
  static fromResources(resources: ReadonlyMap<TypeUrl, readonly Resource[]>): Snapshot {
    const byType = new Map<TypeUrl, TypeEntry>();
    for (const type of pushOrder) {
      const sorted = [...(resources.get(type) ?? [])].sort(byKey((resource) => resource.name));
      const map = new Map<string, Resource>();
      for (const resource of sorted) {
        if (map.has(resource.name)) throw new Error(`duplicate ${resource.type} resource "${resource.name}"`);
        map.set(resource.name, resource);
      }
      byType.set(type, typeEntry(map, sumOf(map.values())));
    }
    return new Snapshot(byType);
  }

  resources(type: TypeUrl): ResourceMap {
    return this.#entry(type).resources;
  }

  /** Equal content, equal version, whatever the order or history. */
  version(type: TypeUrl): string {
    return this.#entry(type).version;
  }

  /**
   * A new snapshot with some resources added, replaced or removed, and what actually
   * changed. The cost is what changed: the new snapshot takes over this one's maps and
   * changes them in place (copying 10,000 entries per type and class was most of what an
   * endpoint change cost in a large cluster). This snapshot is retired: reading it again
   * throws, so only the holder of the current snapshot (the cache) may patch.
   */
  patch(patches: ReadonlyMap<TypeUrl, TypePatch>): { snapshot: Snapshot; changes: SnapshotChanges } {
    const current = this.#live();
    const byType = new Map(current);
    const changes = new Map<TypeUrl, TypeChanges>();
    for (const [type, { upserts, removals = [] }] of patches) {
      const entry = this.#entry(type);
      const resources = (entry === emptyEntry ? new Map() : entry.resources) as Map<string, Resource>;
      let sum = entry.sum;
      const changed = new Set<string>();
      const removed = new Set<string>();
      for (const name of removals) {
        const old = resources.get(name);
        if (!old) continue;
        resources.delete(name);
        sum -= old.digest;
        removed.add(name);
      }
      for (const resource of upserts) {
        const old = resources.get(resource.name);
        if (old?.version === resource.version) continue;
        resources.set(resource.name, resource);
        sum += resource.digest - (old?.digest ?? 0n);
        changed.add(resource.name);
        removed.delete(resource.name);
      }
      if (changed.size === 0 && removed.size === 0) continue;
      byType.set(type, typeEntry(resources, BigInt.asUintN(64, sum)));
      changes.set(type, { changed, removed });
    }
    if (changes.size === 0) return { snapshot: this, changes };
    this.#byType = undefined;
    return { snapshot: new Snapshot(byType), changes };
  }

  #live(): ReadonlyMap<TypeUrl, TypeEntry> {
    if (!this.#byType) throw new Error('a snapshot was read after it was patched: only the current snapshot may be used');
    return this.#byType;
  }

  #entry(type: TypeUrl): TypeEntry {
    return this.#live().get(type) ?? emptyEntry;
  }
}

/** The version of any set of resources, computed as Snapshot.version computes a type's. */
export function versionOf(resources: Iterable<Resource>): string {
  let count = 0;
  let sum = 0n;
  for (const resource of resources) {
    sum += resource.digest;
    count++;
  }
  return formatVersion(BigInt.asUintN(64, sum), count);
}

function sumOf(resources: Iterable<Resource>): bigint {
  let sum = 0n;
  for (const resource of resources) sum += resource.digest;
  return BigInt.asUintN(64, sum);
}

function formatVersion(sum: bigint, count: number): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(sum);
  return `${count}-${bytes.toString('base64url')}`;
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
