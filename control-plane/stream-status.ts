// What an operator wants to see about one ADS stream, per resource type.
import type { TypeUrl } from './types.ts';

export interface NackRecord {
  readonly version: string;
  readonly nonce: string;
  readonly message: string;
  readonly code: number;
  readonly at: Date;
}

/**
 * Where a client stands on one type, as `istioctl proxy-status` puts it: SYNCED (it ACKed the
 * latest response), STALE (sent, not yet ACKed), NACKED (it rejected the latest response),
 * NOT_SENT (nothing sent yet: its class is not ready, or the names it asks for do not exist).
 * Responses go out as soon as the model changes, so the latest response is the current state.
 */
export type SyncState = 'SYNCED' | 'STALE' | 'NACKED' | 'NOT_SENT';

/** A name the client asks for that does not exist, with the closest names that do. */
export interface UnresolvedName {
  readonly name: string;
  readonly didYouMean: readonly string[];
}

export interface TypeStatus {
  readonly type: TypeUrl;
  readonly sync: SyncState;
  readonly wildcard: boolean;
  readonly subscribed: readonly string[];
  readonly lastVersionSent?: string;
  readonly lastNonceSent?: string;
  readonly ackedVersion?: string;
  readonly lastNack?: NackRecord;
  /** Every NACK on this stream for this type. */
  readonly nacks: number;
  readonly responsesSent: number;
  /** Names asked for that do not exist now (at most the first few). */
  readonly unresolved: readonly UnresolvedName[];
}

export interface StreamStatus {
  readonly id: number;
  readonly peer: string;
  /** The wire format: state of the world or incremental (delta). */
  readonly protocol: 'sotw' | 'delta';
  readonly nodeId?: string;
  readonly nodeCluster?: string;
  readonly userAgent?: string;
  /** What the client says it supports (node.client_features), e.g. envoy.lb.does_not_support_overprovisioning. */
  readonly clientFeatures: readonly string[];
  /** The client class (snapshot) it is served. */
  readonly nodeClass?: string;
  readonly connectedAt: Date;
  readonly types: readonly TypeStatus[];
  readonly staleRequests: number;
  readonly unknownTypes: readonly string[];
}
