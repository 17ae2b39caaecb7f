// What the k8s stage keeps of a GRPCRoute or HTTPRoute once it is checked: its parents as
// written, and its rules already mapped to route-model matches. The join (route-join.ts)
// turns records into entries on the Services they attach to; the status (route-status.ts)
// says per parent what became of them.
import type { RetryModel, RouteMatchModel } from '../route-model.ts';

export type RouteKind = 'GRPCRoute' | 'HTTPRoute';

export const routeKinds: readonly RouteKind[] = ['GRPCRoute', 'HTTPRoute'];

/** The API group and version both kinds are read in. */
export const GATEWAY_API_VERSION = 'gateway.networking.k8s.io/v1';

/** `Kind/namespace/name`: the key of a Route in statuses and logs. */
export function routeKey(kind: RouteKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export interface ParentRefRecord {
  /** Its index in spec.parentRefs. */
  readonly index: number;
  /** A Service of the core group (the mesh profile): joined per Service (route-join.ts). */
  readonly mesh: boolean;
  /** A Gateway (group gateway.networking.k8s.io): joined per Gateway (gateways/gateway-join.ts). */
  readonly gateway: boolean;
  /** Defaulted: the Route's own namespace when unset. */
  readonly namespace: string;
  readonly name: string;
  readonly port?: number;
  readonly sectionName?: string;
  /** The parentRef as written, echoed in status.parents[].parentRef. */
  readonly written: Readonly<Record<string, unknown>>;
}

export interface BackendRefRecord {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
  readonly weight: number;
  /** Set when the ref names something other than a core Service: it never resolves. */
  readonly invalidKind?: string;
}

/** A match already in the model's terms, with what precedence needs of the Route's own fields. */
export interface MatchRecord {
  readonly match: RouteMatchModel;
  /** GRPCRoute: the method match as written, for its precedence rules. */
  readonly grpcMethod?: { readonly type: 'Exact' | 'RegularExpression'; readonly service: string; readonly method: string };
}

export interface RuleRecord {
  /** Its index in spec.rules. */
  readonly index: number;
  /** At least one: a rule without matches matches every request. */
  readonly matches: readonly MatchRecord[];
  readonly backends: readonly BackendRefRecord[];
  readonly timeoutMs?: number;
  readonly retry?: RetryModel;
  /** Why the rule is not applied (an unsupported filter, match type or regex); the others still are. */
  readonly dropped?: string;
}

export interface RouteRecord {
  readonly kind: RouteKind;
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
  /** metadata.generation (0 when unset, as in files). */
  readonly generation: number;
  /** metadata.creationTimestamp as written ('' when unset): RFC 3339 in UTC sorts as text. */
  readonly createdAt: string;
  readonly parents: readonly ParentRefRecord[];
  /** spec.hostnames: used for Gateway parents only (GEP-1294: mesh parents ignore them). */
  readonly hostnames: readonly string[];
  readonly rules: readonly RuleRecord[];
  /** Set when the Route cannot be read beyond its parents: nothing of it is applied, and its status says why. */
  readonly invalid?: string;
}
