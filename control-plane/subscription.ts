// Per-stream, per-type state of a state-of-the-world subscription: what the client asked
// for, what it was sent, and how it answered.
import type { NackRecord, TypeStatus } from './stream-status.ts';
import type { Resource } from './resource.ts';
import { isFullState, type TypeUrl } from './types.ts';

export class Subscription {
  readonly type: TypeUrl;
  wildcard = false;
  /** Explicitly named resources ('*' is not kept here: it sets `wildcard`). */
  readonly names = new Set<string>();
  /** Whether the client has ever sent a non-empty list: after that, empty means "none". */
  #everNamed = false;
  /** What the client was last sent, by name (kept after a NACK so the same is not resent). */
  sent = new Map<string, Resource>();
  lastNonce?: string;
  lastVersionSent?: string;
  ackedVersion?: string;
  lastNack?: NackRecord;
  nacks = 0;
  responsesSent = 0;

  readonly #legacyWildcard: boolean;

  /** `legacyWildcard`: an empty list before any name means all (Envoy's LDS and CDS). */
  constructor(type: TypeUrl, legacyWildcard: boolean) {
    this.type = type;
    this.#legacyWildcard = legacyWildcard && isFullState(type);
  }

  /**
   * Applies a request's resource_names. Names dropped from the subscription are forgotten
   * from `sent`, so subscribing to them again sends them again.
   */
  update(requested: readonly string[]): void {
    const legacyWildcard = requested.length === 0 && !this.#everNamed && this.#legacyWildcard;
    if (requested.length > 0) this.#everNamed = true;
    this.wildcard = legacyWildcard || requested.includes('*');
    const next = new Set(requested.filter((name) => name !== '*'));
    for (const name of this.names) if (!next.has(name)) this.names.delete(name);
    for (const name of next) this.names.add(name);
    if (this.wildcard) return;
    for (const name of this.sent.keys()) if (!this.names.has(name)) this.sent.delete(name);
  }

  /** At least one response went out (full-state types answer an empty wildcard once). */
  get responded(): boolean {
    return this.lastNonce !== undefined;
  }

  wants(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  status(): TypeStatus {
    return {
      type: this.type,
      wildcard: this.wildcard,
      subscribed: [...this.names].sort(),
      lastVersionSent: this.lastVersionSent,
      lastNonceSent: this.lastNonce,
      ackedVersion: this.ackedVersion,
      lastNack: this.lastNack,
      nacks: this.nacks,
      responsesSent: this.responsesSent,
    };
  }
}
