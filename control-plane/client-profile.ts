// What the protocol core needs to know about the client of a stream. The control plane does
// not know the client classes: the entry point injects a classifier that reads the node.
import type { envoy } from '../generated/envoy.js';

export interface ClientProfile {
  /** The snapshot this client is served (its class). */
  readonly snapshot: string;
  /** An empty first subscription to listeners or clusters means all of them (Envoy does that). */
  readonly legacyWildcard: boolean;
  /** A listener or cluster the client named is never withdrawn: its endpoints are emptied instead. */
  readonly retainsWithdrawn: boolean;
}

/** Throws a KubeXdsError for a node that cannot be served (the stream ends with INVALID_ARGUMENT). */
export type NodeClassifier = (node: envoy.config.core.v3.INode) => ClientProfile;
