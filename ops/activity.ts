// What happened lately, for the status page (/debug/activity): the last pushes (oldest
// first, to draw), and the last NACKs and names asked for that do not exist (newest first).
import type { AdsObserver, ClientIdentity } from '../control-plane/observer.ts';
import type { NackRecord } from '../control-plane/stream-status.ts';
import { typeShortName, type TypeUrl } from '../control-plane/types.ts';

type ShortType = (typeof typeShortName)[TypeUrl];

export interface PushEntry {
  readonly at: string;
  /** From the model change's arrival to the last response of the push written. */
  readonly ms: number;
  readonly streams: number;
}

export interface NackEntry {
  readonly at: string;
  readonly stream: number;
  readonly nodeId?: string;
  readonly userAgent?: string;
  readonly class?: string;
  readonly type: ShortType;
  readonly version: string;
  readonly message: string;
}

export interface UnresolvedEntry {
  readonly at: string;
  readonly stream: number;
  readonly nodeId?: string;
  readonly type: ShortType;
  readonly name: string;
  readonly didYouMean: readonly string[];
}

export interface ActivityView {
  readonly pushes: PushEntry[];
  readonly nacks: NackEntry[];
  readonly unresolved: UnresolvedEntry[];
}

export const activityKept = { pushes: 300, nacks: 50, unresolved: 50 } as const;

export class RecentActivity implements AdsObserver {
  readonly #pushes = new Ring<PushEntry>(activityKept.pushes);
  readonly #nacks = new Ring<NackEntry>(activityKept.nacks);
  readonly #unresolved = new Ring<UnresolvedEntry>(activityKept.unresolved);

  responseWritten(): void {}

  pushed(sinceMs: number, streamsReached: number): void {
    this.#pushes.add({ at: new Date().toISOString(), ms: sinceMs, streams: streamsReached });
  }

  nacked(type: TypeUrl, client: ClientIdentity, nack: NackRecord): void {
    this.#nacks.add({
      at: nack.at.toISOString(),
      stream: client.stream,
      nodeId: client.nodeId,
      userAgent: client.userAgent,
      class: client.nodeClass,
      type: typeShortName[type],
      version: nack.version,
      message: nack.message,
    });
  }

  unresolved(type: TypeUrl, client: ClientIdentity, name: string, didYouMean: readonly string[]): void {
    this.#unresolved.add({ at: new Date().toISOString(), stream: client.stream, nodeId: client.nodeId, type: typeShortName[type], name, didYouMean });
  }

  streamClosed(): void {}

  limitExceeded(): void {}

  toJSON(): ActivityView {
    return { pushes: this.#pushes.oldestFirst(), nacks: this.#nacks.newestFirst(), unresolved: this.#unresolved.newestFirst() };
  }
}

/** The last `capacity` entries added. */
class Ring<T> {
  readonly #capacity: number;
  readonly #entries: T[] = [];
  /** Where the next entry goes once the ring is full (the oldest entry). */
  #next = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  add(entry: T): void {
    if (this.#entries.length < this.#capacity) this.#entries.push(entry);
    else {
      this.#entries[this.#next] = entry;
      this.#next = (this.#next + 1) % this.#capacity;
    }
  }

  oldestFirst(): T[] {
    return [...this.#entries.slice(this.#next), ...this.#entries.slice(0, this.#next)];
  }

  newestFirst(): T[] {
    return this.oldestFirst().reverse();
  }
}
