// What an operator wants to see about one ADS stream, per resource type.
import type { TypeUrl } from './types.ts';

export interface NackRecord {
  readonly version: string;
  readonly nonce: string;
  readonly message: string;
  readonly code: number;
  readonly at: Date;
}

export interface TypeStatus {
  readonly type: TypeUrl;
  readonly wildcard: boolean;
  readonly subscribed: readonly string[];
  readonly lastVersionSent?: string;
  readonly lastNonceSent?: string;
  readonly ackedVersion?: string;
  readonly lastNack?: NackRecord;
  /** Every NACK on this stream for this type. */
  readonly nacks: number;
  readonly responsesSent: number;
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
