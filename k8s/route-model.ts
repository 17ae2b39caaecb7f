// Routing from the Kubernetes Gateway API's mesh profile (GAMMA): GRPCRoute and HTTPRoute
// objects whose parentRef is a Service, resolved by the k8s stage into plain route entries
// on that Service's model. The builders turn them into RouteConfigurations for proxyless
// clients and Envoy sidecars; they never see the Route objects themselves.

/** Where an entry came from: for status, logs and the debug views. */
export interface RouteOrigin {
  readonly kind: 'GRPCRoute' | 'HTTPRoute';
  readonly namespace: string;
  readonly name: string;
  /** The index of the rule in spec.rules, and of the match in its matches (0 when it has none). */
  readonly rule: number;
  readonly match: number;
}

export type StringMatchType = 'Exact' | 'RegularExpression';

/**
 * What a request must look like. A GRPCRoute method match is already a path here:
 * service and method exact → Exact `/S/M`; service only → PathPrefix `/S/`; method only →
 * RegularExpression `/[^/]+/M`; RegularExpression → `/S/M` with `.+` for a part left out.
 */
export interface RouteMatchModel {
  readonly path?: { readonly type: 'Exact' | 'PathPrefix' | 'RegularExpression'; readonly value: string };
  /** Header names lower-cased; all must match. */
  readonly headers: readonly { readonly name: string; readonly type: StringMatchType; readonly value: string }[];
  /** HTTPRoute only; all must match. */
  readonly queryParams: readonly { readonly name: string; readonly type: StringMatchType; readonly value: string }[];
  /** HTTPRoute only: the request method (GET, POST, ...). */
  readonly method?: string;
}

/** A backend the entry splits traffic to: a Service port, by its port number. */
export interface RouteBackendModel {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
  /** Relative weight, 0 to 1,000,000 (the Gateway API's range); 0 takes no traffic. */
  readonly weight: number;
  /**
   * False when the Service or its port does not exist (status ResolvedRefs=False): its share
   * of requests must fail (UNAVAILABLE for gRPC, 500 for HTTP), never go elsewhere.
   */
  readonly resolved: boolean;
}

export interface RetryModel {
  /** gRPC status names (`unavailable`, `cancelled`, ...) for GRPCRoute; HTTP codes as text for HTTPRoute. */
  readonly on: readonly string[];
  /** Retries after the first attempt. */
  readonly attempts: number;
  /** The base backoff between attempts, when the Route says. */
  readonly backoffMs?: number;
}

/** One match of one rule, with what happens to requests it matches. */
export interface RouteEntryModel {
  readonly origin: RouteOrigin;
  /** The Service port it applies to (parentRef.port), or undefined for every port. */
  readonly port?: number;
  readonly match: RouteMatchModel;
  /** At least one; the weights split traffic. */
  readonly backends: readonly RouteBackendModel[];
  /** timeouts.request: the whole call, retries included. */
  readonly timeoutMs?: number;
  readonly retry?: RetryModel;
}
