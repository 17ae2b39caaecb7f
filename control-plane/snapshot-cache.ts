// One snapshot per client class, by name (the control plane does not know the classes). A
// class is ready once its first snapshot is set: until then nothing is answered for it,
// because an empty LDS/CDS response would delete every listener and cluster a client holds.
import { diffSnapshots, type Snapshot, type SnapshotChanges, type TypePatch } from './snapshot.ts';
import type { TypeUrl } from './types.ts';

/** What caused a new snapshot, for measuring how fast it reaches clients. */
export interface PushCause {
  /** performance.now() when the earliest model change it carries arrived. */
  readonly since: number;
}

/**
 * `changes` is undefined when the class has just become ready (everything is new). A listener
 * that pushes to clients returns how many streams it wrote a response to.
 */
export type SnapshotListener = (name: string, snapshot: Snapshot, changes: SnapshotChanges | undefined, cause?: PushCause) => number | void;

export interface PatchOutcome {
  /** What actually changed: upserts equal to what the class already had are left out. */
  readonly changes: SnapshotChanges;
  /** Client streams that were written a response, as the listeners count them. */
  readonly streamsReached: number;
}

export class SnapshotCache {
  readonly #snapshots = new Map<string, Snapshot>();
  readonly #listeners = new Set<SnapshotListener>();

  get(name: string): Snapshot | undefined {
    return this.#snapshots.get(name);
  }

  set(name: string, snapshot: Snapshot, cause?: PushCause): void {
    const previous = this.#snapshots.get(name);
    if (previous === snapshot) return;
    this.#publish(name, snapshot, previous ? diffSnapshots(previous, snapshot) : undefined, cause);
  }

  /**
   * Changes some resources of a class that is already ready, without diffing the whole
   * snapshot; the listeners have pushed the changes when it returns. Returns undefined when
   * the class is not ready.
   */
  patch(name: string, patches: ReadonlyMap<TypeUrl, TypePatch>, cause?: PushCause): PatchOutcome | undefined {
    const previous = this.#snapshots.get(name);
    if (!previous) return undefined;
    const { snapshot, changes } = previous.patch(patches);
    return { changes, streamsReached: this.#publish(name, snapshot, changes, cause) };
  }

  /** Returns the streams the listeners reached. */
  #publish(name: string, snapshot: Snapshot, changes: SnapshotChanges | undefined, cause: PushCause | undefined): number {
    this.#snapshots.set(name, snapshot);
    if (changes?.size === 0) return 0;
    let streamsReached = 0;
    for (const listener of this.#listeners) streamsReached += listener(name, snapshot, changes, cause) ?? 0;
    return streamsReached;
  }

  /** Returns a function that unsubscribes. */
  subscribe(listener: SnapshotListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
