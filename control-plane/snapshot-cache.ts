// One snapshot per client class. A class is ready once its first snapshot is set: until
// then nothing is answered for it, because an empty LDS/CDS response would delete every
// listener and cluster a client holds.
import { diffSnapshots, type Snapshot, type SnapshotChanges, type TypePatch } from './snapshot.ts';
import type { ClientClass } from '../envoy-config/resource-set.ts';
import type { TypeUrl } from './types.ts';

/** `changes` is undefined when the class has just become ready (everything is new). */
export type SnapshotListener = (nodeClass: ClientClass, snapshot: Snapshot, changes: SnapshotChanges | undefined) => void;

export class SnapshotCache {
  readonly #snapshots = new Map<ClientClass, Snapshot>();
  readonly #listeners = new Set<SnapshotListener>();

  get(nodeClass: ClientClass): Snapshot | undefined {
    return this.#snapshots.get(nodeClass);
  }

  set(nodeClass: ClientClass, snapshot: Snapshot): void {
    const previous = this.#snapshots.get(nodeClass);
    if (previous === snapshot) return;
    this.#publish(nodeClass, snapshot, previous ? diffSnapshots(previous, snapshot) : undefined);
  }

  /**
   * Changes some resources of a class that is already ready, without diffing the whole
   * snapshot. Returns false when the class is not ready.
   */
  patch(nodeClass: ClientClass, patches: ReadonlyMap<TypeUrl, TypePatch>): boolean {
    const previous = this.#snapshots.get(nodeClass);
    if (!previous) return false;
    const { snapshot, changes } = previous.patch(patches);
    this.#publish(nodeClass, snapshot, changes);
    return true;
  }

  #publish(nodeClass: ClientClass, snapshot: Snapshot, changes: SnapshotChanges | undefined): void {
    this.#snapshots.set(nodeClass, snapshot);
    if (changes?.size === 0) return;
    for (const listener of this.#listeners) listener(nodeClass, snapshot, changes);
  }

  /** Returns a function that unsubscribes. */
  subscribe(listener: SnapshotListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
