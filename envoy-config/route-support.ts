// Which parts of a Gateway API route entry each client class can be served (README, "Routing
// (Gateway API)"). An entry with a part its class cannot serve is left out of that class's
// routes, whole: serving it without that part would send requests where the Route does not.
// The k8s stage reports the reasons in the Route's status.
//
// Proxyless is one class: every gRPC client gets the same resources, so what it is served is
// what all of them read (grpc-go 1.85, grpc-java 1.85, C-core 1.85 and 1.51, grpc-js-xds 1.14).
import { regexProblem } from '../common/re2.ts';
import type { RouteEntryModel } from '../k8s/route-model.ts';
import type { ClientClass } from './resource-set.ts';

export type RouteFeature =
  | 'path: Exact, PathPrefix, RegularExpression'
  | 'headers: Exact, RegularExpression'
  | 'headers named grpc-* or *-bin'
  | 'query parameters'
  | 'HTTP method POST'
  | 'HTTP method other than POST'
  | 'weighted backends, across Services'
  | 'request timeout'
  | 'retry on gRPC status'
  | 'retry on HTTP status'
  | 'retry backoff';

type Support = Readonly<Record<'proxyless' | 'envoy', boolean>>;

/** The table of the README: Envoy is the gateway and the sidecar alike (they share virtual hosts). */
export const routeSupport: Readonly<Record<RouteFeature, Support>> = Object.freeze({
  'path: Exact, PathPrefix, RegularExpression': { proxyless: true, envoy: true },
  'headers: Exact, RegularExpression': { proxyless: true, envoy: true },
  'headers named grpc-* or *-bin': { proxyless: false, envoy: true },
  'query parameters': { proxyless: false, envoy: true },
  'HTTP method POST': { proxyless: true, envoy: true },
  'HTTP method other than POST': { proxyless: false, envoy: true },
  'weighted backends, across Services': { proxyless: true, envoy: true },
  'request timeout': { proxyless: true, envoy: true },
  'retry on gRPC status': { proxyless: true, envoy: true },
  'retry on HTTP status': { proxyless: false, envoy: true },
  'retry backoff': { proxyless: true, envoy: true },
});

/** Why: said once per feature, in the words a Route's status carries. */
const whyProxylessCannot: Partial<Record<RouteFeature, string>> = {
  'headers named grpc-* or *-bin': 'gRPC clients do not match on grpc-* or binary (-bin) headers',
  'query parameters': 'gRPC requests carry no query string, so gRPC clients never match query parameters',
  'HTTP method other than POST': 'every gRPC call is a POST, so gRPC clients never match another method',
  'retry on HTTP status': 'gRPC clients retry on gRPC status codes only, not on HTTP status codes',
};

/** The gRPC status codes gRPC clients (gRFC A44) and Envoy's retry_on both retry on, as retry_on spells them. */
export const retriableGrpcStatuses: readonly string[] = Object.freeze(['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable']);

/** `UNAVAILABLE`, `resource_exhausted`, `deadline-exceeded` → Envoy's and gRPC's retry_on spelling. */
export function retryOnName(status: string): string {
  return status.trim().toLowerCase().replaceAll('_', '-');
}

/** The features of `entry` (one of each at most), in the table's order. */
export function featuresOf(entry: RouteEntryModel): RouteFeature[] {
  const { match, retry } = entry;
  const used = new Set<RouteFeature>();
  if (match.path) used.add('path: Exact, PathPrefix, RegularExpression');
  for (const header of match.headers) {
    used.add(/^grpc-|-bin$/.test(header.name) ? 'headers named grpc-* or *-bin' : 'headers: Exact, RegularExpression');
  }
  if (match.queryParams.length > 0) used.add('query parameters');
  if (match.method !== undefined) used.add(match.method.toUpperCase() === 'POST' ? 'HTTP method POST' : 'HTTP method other than POST');
  if (entry.backends.length > 1) used.add('weighted backends, across Services');
  if (entry.timeoutMs) used.add('request timeout');
  if (retry && retry.attempts > 0 && retry.on.length > 0) {
    used.add(entry.origin.kind === 'GRPCRoute' ? 'retry on gRPC status' : 'retry on HTTP status');
    if (retry.backoffMs !== undefined) used.add('retry backoff');
  }
  return (Object.keys(routeSupport) as RouteFeature[]).filter((feature) => used.has(feature));
}

export type UnsupportedReasons = Readonly<Record<ClientClass, readonly string[]>>;

/**
 * Why each client class is not served `entry`: an empty list for a class that is. The
 * gateway and the sidecar always agree (they share each Service's virtual hosts).
 */
export function unsupportedFor(entry: RouteEntryModel): UnsupportedReasons {
  const everyone = reasonsForEveryClass(entry);
  const proxyless = featuresOf(entry)
    .filter((feature) => !routeSupport[feature].proxyless)
    .map((feature) => whyProxylessCannot[feature] ?? `${feature} is not served to gRPC clients`);
  return { proxyless: [...everyone, ...proxyless], gateway: everyone, sidecar: everyone };
}

/** True when `clientClass` is served the entry. */
export function servesEntry(entry: RouteEntryModel, clientClass: ClientClass): boolean {
  return unsupportedFor(entry)[clientClass].length === 0;
}

function reasonsForEveryClass(entry: RouteEntryModel): string[] {
  const reasons: string[] = [];
  const { retry } = entry;
  if (retry && retry.attempts > 0 && entry.origin.kind === 'GRPCRoute') {
    const unknown = retry.on.filter((status) => !retriableGrpcStatuses.includes(retryOnName(status)));
    if (unknown.length > 0) reasons.push(`retry on ${unknown.join(', ')}: gRPC clients and Envoy retry only on ${retriableGrpcStatuses.join(', ')}`);
  }
  if (retry && retry.attempts > 0 && entry.origin.kind === 'HTTPRoute') {
    const notCodes = retry.on.filter((code) => !/^[1-5]\d\d$/.test(code.trim()));
    if (notCodes.length > 0) reasons.push(`retry on ${notCodes.join(', ')}: an HTTPRoute retries on HTTP status codes (100-599)`);
  }
  const regexes = [
    ...(entry.match.path?.type === 'RegularExpression' ? [entry.match.path.value] : []),
    ...[...entry.match.headers, ...entry.match.queryParams].filter((match) => match.type === 'RegularExpression').map((match) => match.value),
  ];
  for (const regex of regexes) {
    const problem = regexProblem(regex);
    if (problem) reasons.push(`the regular expression ${JSON.stringify(regex)} ${problem}`);
  }
  return reasons;
}
