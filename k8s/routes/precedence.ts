// The order entries are tried in, across every Route attached to one Service: the Gateway
// API's precedence (the comments on HTTPRouteRule.matches and GRPCRouteRule.matches), then
// its tie-breaks: the oldest Route, then namespace/name, then rule order, then match order.
// Precedence among RegularExpression paths is implementation-specific: here an Exact path
// comes first, then regular expressions (the longer first), then prefixes (the longer first),
// as Envoy Gateway does, so that a Route's catch-all prefix never hides another's regex.
import { compareText } from '../../common/compare.ts';
import type { MatchRecord, RouteRecord, RuleRecord } from './route-record.ts';

export interface Candidate {
  readonly route: RouteRecord;
  readonly rule: RuleRecord;
  readonly matchIndex: number;
  readonly match: MatchRecord;
  /** The Service port it applies to; undefined for every port. */
  readonly port?: number;
}

const pathRank = { Exact: 0, RegularExpression: 1, PathPrefix: 2 } as const;
const methodRank = { Exact: 0, RegularExpression: 1 } as const;

export function comparePrecedence(a: Candidate, b: Candidate): number {
  return (
    compareKind(a, b) ||
    (a.route.kind === 'GRPCRoute' ? compareGrpc(a.match, b.match) : compareHttp(a.match, b.match)) ||
    compareText(a.route.createdAt, b.route.createdAt) ||
    compareText(a.route.namespace, b.route.namespace) ||
    compareText(a.route.name, b.route.name) ||
    a.rule.index - b.rule.index ||
    a.matchIndex - b.matchIndex ||
    (a.port ?? 0) - (b.port ?? 0)
  );
}

/** GRPCRoutes first; no port has both kinds (route-join.ts), so this only keeps the order stable. */
function compareKind(a: Candidate, b: Candidate): number {
  return a.route.kind === b.route.kind ? 0 : a.route.kind === 'GRPCRoute' ? -1 : 1;
}

function compareGrpc(a: MatchRecord, b: MatchRecord): number {
  const rank = (match: MatchRecord) => (match.grpcMethod === undefined ? 2 : methodRank[match.grpcMethod.type]);
  return (
    rank(a) - rank(b) ||
    (b.grpcMethod?.service.length ?? 0) - (a.grpcMethod?.service.length ?? 0) ||
    (b.grpcMethod?.method.length ?? 0) - (a.grpcMethod?.method.length ?? 0) ||
    b.match.headers.length - a.match.headers.length
  );
}

function compareHttp({ match: a }: MatchRecord, { match: b }: MatchRecord): number {
  const rank = (path: typeof a.path) => (path === undefined ? 3 : pathRank[path.type]);
  return (
    rank(a.path) - rank(b.path) ||
    (b.path?.value.length ?? 0) - (a.path?.value.length ?? 0) ||
    Number(b.method !== undefined) - Number(a.method !== undefined) ||
    b.headers.length - a.headers.length ||
    b.queryParams.length - a.queryParams.length
  );
}
