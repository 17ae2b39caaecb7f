// Per-stream, per-type state of a subscription, whatever the wire format: what the client
// asked for, what it holds as far as the server knows, and how it answered.
import type { NackRecord, SyncState, TypeStatus, UnresolvedName } from './stream-status.ts';
import type { Resource } from './resource.ts';
import { isFullState, type TypeUrl } from './types.ts';

/** A resource the client holds: the one sent, or only its version (a delta client reconnecting). */
export type Held = Resource | { readonly name: string; readonly version: string };

export class Subscription {
  readonly type: TypeUrl;
  wildcard = false;
  /** Explicitly named resources ('*' is not kept here: it sets `wildcard`). */
  readonly names = new Set<string>();
  /** What the client holds, by name (kept after a NACK, so the same is not sent again). */
  readonly held = new Map<string, Held>();
  /** Names owed an answer even if the client seems to hold them (see XdsStream.plan). */
  readonly owed = new Set<string>();
  /** Delta: names the client was told do not exist, so that is said once. */
  readonly toldAbsent = new Set<string>();
  lastNonce?: string;
  lastVersionSent?: string;
  ackedNonce?: string;
  ackedVersion?: string;
  lastNack?: NackRecord;
  nacks = 0;
  responsesSent = 0;
  /** Names found not to exist, with suggestions, reported once each (see XdsStream). */
  readonly unresolved = new Map<string, readonly string[]>();
  /** Whether the client has ever named a resource: after that, an empty list is not a wildcard. */
  #everNamed = false;
  readonly #legacyWildcard: boolean;

  /** `legacyWildcard`: an empty first subscription means all (Envoy's LDS and CDS). */
  constructor(type: TypeUrl, legacyWildcard: boolean) {
    this.type = type;
    this.#legacyWildcard = legacyWildcard && isFullState(type);
  }

  /**
   * State of the world: the request's resource_names replace the subscription. Returns
   * whether it changed (an ACK names the same resources again).
   */
  replace(requested: readonly string[]): boolean {
    const legacyWildcard = requested.length === 0 && !this.#everNamed && this.#legacyWildcard;
    if (requested.length > 0) this.#everNamed = true;
    const wildcard = legacyWildcard || requested.includes('*');
    if (!wildcard && !this.wildcard && this.#sameNames(requested)) return false; // an ACK: nothing to copy
    const next = new Set(requested.filter((name) => name !== '*'));
    const changed = wildcard !== this.wildcard || next.size !== this.names.size || [...next].some((name) => !this.names.has(name));
    const droppedWildcard = this.wildcard && !wildcard;
    this.wildcard = wildcard;
    for (const name of this.names) if (!next.has(name)) this.#forget(name);
    for (const name of next) this.names.add(name);
    if (droppedWildcard) this.#forgetUnwanted();
    return changed;
  }

  /**
   * Delta: a request's subscribe and unsubscribe lists. A name subscribed again is sent again
   * although the client seems to hold it (it may have forgotten it), and so is the news that
   * one does not exist. A name dropped that the wildcard still covers is owed an answer (the
   * resource again, or its removal): the client cannot tell otherwise whether to keep it.
   */
  applyDelta(subscribe: readonly string[], unsubscribe: readonly string[]): void {
    const wasWildcard = this.wildcard;
    if (subscribe.length === 0 && unsubscribe.length === 0 && !this.#everNamed && this.#legacyWildcard) this.wildcard = true;
    for (const name of subscribe) {
      this.#everNamed = true;
      if (name === '*') {
        this.wildcard = true;
        continue;
      }
      this.names.add(name);
      this.held.delete(name);
      this.toldAbsent.delete(name);
    }
    for (const name of unsubscribe) {
      if (name === '*') this.wildcard = false;
      else if (!this.names.has(name)) continue; // a phantom unsubscription
      else if (this.wildcard) {
        this.names.delete(name);
        this.owed.add(name);
      } else this.#forget(name);
    }
    if (wasWildcard && !this.wildcard) this.#forgetUnwanted();
  }

  #sameNames(requested: readonly string[]): boolean {
    if (requested.length !== this.names.size || !requested.every((name) => this.names.has(name))) return false;
    return requested.length < 2 || new Set(requested).size === requested.length; // no name twice, so none is missing
  }

  wants(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  /** Every name a full look at this type must consider: wanted, held or owed. */
  candidates(current: ReadonlyMap<string, Resource>): Set<string> {
    const names = new Set([...this.names, ...this.held.keys(), ...this.owed]);
    if (this.wildcard) for (const name of current.keys()) names.add(name);
    return names;
  }

  /** At least one response went out (a wildcard is answered once even when empty). */
  get responded(): boolean {
    return this.lastNonce !== undefined;
  }

  /**
   * Without the wildcard, what the client held only through it is no longer its business.
   * Only dropping the wildcard leaves such names behind: a name dropped by itself is forgotten
   * at once, and this scan of everything held (10,000 names) is not made per request.
   */
  #forgetUnwanted(): void {
    if (this.wildcard) return;
    for (const name of this.held.keys()) if (!this.names.has(name) && !this.owed.has(name)) this.#forget(name);
  }

  #forget(name: string): void {
    this.unresolved.delete(name);
    this.names.delete(name);
    this.held.delete(name);
    this.owed.delete(name);
    this.toldAbsent.delete(name);
  }

  get sync(): SyncState {
    if (this.lastNonce === undefined) return 'NOT_SENT';
    if (this.lastNack?.nonce === this.lastNonce) return 'NACKED';
    return this.ackedNonce === this.lastNonce ? 'SYNCED' : 'STALE';
  }

  /** `exists` tells which of the names reported unresolved still do not exist. */
  status(exists: (name: string) => boolean): TypeStatus {
    const unresolved: UnresolvedName[] = [];
    for (const [name, didYouMean] of this.unresolved) if (!exists(name)) unresolved.push({ name, didYouMean });
    return {
      type: this.type,
      sync: this.sync,
      wildcard: this.wildcard,
      subscribed: [...this.names].sort(),
      lastVersionSent: this.lastVersionSent,
      lastNonceSent: this.lastNonce,
      ackedVersion: this.ackedVersion,
      lastNack: this.lastNack,
      nacks: this.nacks,
      responsesSent: this.responsesSent,
      unresolved,
    };
  }
}
