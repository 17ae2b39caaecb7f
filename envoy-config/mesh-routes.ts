// The Routes of a Service port from its Gateway API route entries (ServiceModel.routes), in
// their order, before the port's default route. Proxyless clients and Envoy read the same
// RouteMatch and RouteAction fields with a few differences, which the dialect decides:
// - header values: gRPC clients all read `exact_match`/`safe_regex_match` (gRFC A28; C-core
//   1.51 predates `string_match` there), Envoy is given `string_match`;
// - a timeout: gRPC clients take `max_stream_duration.max_stream_duration` as the call's
//   deadline (gRFC A31) and must not see `grpc_timeout_header_max`, which grpc-js reads first
//   (0 there would mean "no limit"). Envoy ends a gRPC stream at its max_stream_duration with
//   DEADLINE_EXCEEDED; an HTTP request at its route timeout with 504;
// - retries: gRPC clients retry on gRPC status codes only (gRFC A44).
import type { envoy } from '../generated/envoy.js';
import type { ServiceModel, ServicePortModel } from '../k8s/model.ts';
import type { RetryModel, RouteBackendModel, RouteEntryModel, RouteMatchModel } from '../k8s/route-model.ts';
import { durationFromMs } from './duration.ts';
import { clusterNameOf, unresolvedClusterName } from './names.ts';
import type { EnvoyConfigOptions } from './options.ts';
import { speaksGrpc } from './ports.ts';
import { retryOnName, servesEntry } from './route-support.ts';

type Route = envoy.config.route.v3.IRoute;
type RouteMatch = envoy.config.route.v3.IRouteMatch;
type RouteAction = envoy.config.route.v3.IRouteAction;
type HeaderMatcher = envoy.config.route.v3.IHeaderMatcher;

export type RouteDialect = 'proxyless' | 'envoy';

/** The entries that apply to `port` (all ports, or that one), in order. */
export function entriesForPort(service: ServiceModel, port: ServicePortModel): RouteEntryModel[] {
  return (service.routes ?? []).filter((entry) => entry.port === undefined || entry.port === port.port);
}

/**
 * True when a route of the Service sends a share to no existing backend: the Service then has
 * its unresolved cluster, with no endpoints. The same for every class (its
 * ClusterLoadAssignment is shared), whichever entries a class is served.
 */
export function needsUnresolvedCluster(service: ServiceModel): boolean {
  return (service.routes ?? []).some((entry) => entry.backends.every((backend) => backend.weight === 0) || entry.backends.some((backend) => backend.weight > 0 && !backend.resolved));
}

/** One Route per entry served to the dialect's class(es), in order; the default route goes after them. */
export function meshRoutes(service: ServiceModel, port: ServicePortModel, dialect: RouteDialect, options: EnvoyConfigOptions): Route[] {
  // Envoy's gateway and sidecar share virtual hosts, and are always served the same entries.
  const clientClass = dialect === 'proxyless' ? 'proxyless' : 'sidecar';
  return entriesForPort(service, port)
    .filter((entry) => servesEntry(entry, clientClass))
    .map((entry) => meshRoute(service, port, entry, dialect, options));
}

function meshRoute(service: ServiceModel, port: ServicePortModel, entry: RouteEntryModel, dialect: RouteDialect, options: EnvoyConfigOptions): Route {
  return entryRoute(entry, { unresolvedCluster: unresolvedClusterName(service, options.clusterDomain), grpcPort: speaksGrpc(port) }, dialect, options);
}

/** Where an entry's routes send what has no backend, and whether its port speaks gRPC. */
interface EntryTarget {
  readonly unresolvedCluster: string;
  readonly grpcPort: boolean;
}

/**
 * The Routes of a Gateway virtual host's entries (k8s/gateway-model.ts), for Envoy gateways.
 * A share with no backend goes to `unresolvedCluster`, which has no Cluster: Envoy answers
 * it 503 (UNAVAILABLE on gRPC), never sending it elsewhere.
 */
export function gatewayEntryRoutes(entries: readonly RouteEntryModel[], unresolvedCluster: string, options: EnvoyConfigOptions): Route[] {
  return entries.filter((entry) => servesEntry(entry, 'gateway')).map((entry) => entryRoute(entry, { unresolvedCluster, grpcPort: false }, 'envoy', options));
}

function entryRoute(entry: RouteEntryModel, target: EntryTarget, dialect: RouteDialect, options: EnvoyConfigOptions): Route {
  const { kind, namespace, name, rule, match } = entry.origin;
  return {
    name: `${kind}/${namespace}/${name}/rule/${rule}/match/${match}`,
    match: routeMatch(entry.match, dialect),
    route: {
      ...backendsAction(target.unresolvedCluster, entry.backends, dialect, options),
      ...(dialect === 'proxyless' ? proxylessPolicies(entry) : envoyPolicies(entry, target.grpcPort, options)),
    },
  };
}

function routeMatch(match: RouteMatchModel, dialect: RouteDialect): RouteMatch {
  const headers = match.headers.map((header) => headerMatcher(header.name, header.type, header.value, dialect));
  // A gRPC client never gets here with another method (route-support.ts): all its calls are POSTs.
  if (match.method !== undefined && dialect === 'envoy') headers.push(headerMatcher(':method', 'Exact', match.method, dialect));
  return {
    ...pathMatch(match.path),
    ...(headers.length > 0 && { headers }),
    ...(match.queryParams.length > 0 && {
      query_parameters: match.queryParams.map((param) => ({ name: param.name, string_match: stringMatcher(param.type, param.value) })),
    }),
  };
}

function pathMatch(path: RouteMatchModel['path']): RouteMatch {
  if (!path) return { prefix: '' };
  switch (path.type) {
    case 'Exact':
      return { path: path.value };
    case 'RegularExpression':
      return { safe_regex: regexMatcher(path.value) };
    case 'PathPrefix': {
      // The Gateway API's prefix is whole path segments, a trailing `/` ignored: `/foo` matches
      // `/foo` and `/foo/bar`, not `/foobar`. Envoy's path_separated_prefix says so, but grpc-js
      // NACKs it: a regular expression says it to every client.
      const prefix = path.value.replace(/\/+$/, '');
      return prefix === '' ? { prefix: '/' } : { safe_regex: regexMatcher(`${escapeRegex(prefix)}(?:/.*)?`) };
    }
  }
}

function headerMatcher(name: string, type: 'Exact' | 'RegularExpression', value: string, dialect: RouteDialect): HeaderMatcher {
  if (dialect === 'envoy') return { name, string_match: stringMatcher(type, value) };
  return type === 'Exact' ? { name, exact_match: value } : { name, safe_regex_match: regexMatcher(value) };
}

function stringMatcher(type: 'Exact' | 'RegularExpression', value: string): envoy.type.matcher.v3.IStringMatcher {
  return type === 'Exact' ? { exact: value } : { safe_regex: regexMatcher(value) };
}

// Envoy and gRPC match the whole value; grpc-js does so by wrapping the text in ^…$, which a
// top-level alternation (`a|b`) would escape: the group keeps the meaning the same everywhere.
// No engine is named: Envoy's default is RE2 (google_re2 is deprecated), gRPC clients only use RE2.
function regexMatcher(regex: string): envoy.type.matcher.v3.IRegexMatcher {
  return { regex: `(?:${regex})` };
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** A single cluster, or weighted clusters; a share that has no backend goes to the unresolved cluster. */
function backendsAction(unresolvedCluster: string, backends: readonly RouteBackendModel[], dialect: RouteDialect, options: EnvoyConfigOptions): RouteAction {
  const weights = new Map<string, number>();
  for (const backend of backends) {
    if (backend.weight <= 0) continue;
    const cluster = backend.resolved ? clusterNameOf(backend, backend.port, options.clusterDomain) : unresolvedCluster;
    // One entry per cluster: gRPC clients key weighted targets by cluster name.
    weights.set(cluster, (weights.get(cluster) ?? 0) + backend.weight);
  }
  if (weights.size === 0) return { cluster: unresolvedCluster };
  if (weights.size === 1) return { cluster: [...weights.keys()][0]! };
  const clusters = [...weights].map(([name, weight]) => ({ name, weight: { value: weight } }));
  // C-core 1.51 takes an unset total_weight as 100 and refuses any other sum; Envoy has
  // deprecated the field (it sums the weights), and newer gRPC clients sum them too.
  const total = dialect === 'proxyless' ? { total_weight: { value: [...weights.values()].reduce((sum, weight) => sum + weight, 0) } } : {};
  return { weighted_clusters: { clusters, ...total } };
}

function proxylessPolicies(entry: RouteEntryModel): RouteAction {
  const retry = retryPolicy(entry, 'proxyless');
  return {
    ...(entry.timeoutMs ? { max_stream_duration: { max_stream_duration: durationFromMs(entry.timeoutMs) } } : {}),
    ...(retry && { retry_policy: retry }),
  };
}

function envoyPolicies(entry: RouteEntryModel, grpcPort: boolean, options: EnvoyConfigOptions): RouteAction {
  const grpc = entry.origin.kind === 'GRPCRoute' || grpcPort;
  const timeoutMs = entry.timeoutMs ?? 0;
  const streamMs = timeoutMs > 0 && grpc ? timeoutMs : options.maxStreamDurationMs;
  const retry = entry.retry ? retryPolicy(entry, 'envoy') : grpc ? defaultEnvoyRetry(options) : undefined;
  // With a timeout on gRPC, the header max stays unset: Envoy would otherwise cap the
  // grpc-timeout it forwards to the route's timeout, and the backend giving up at the same
  // instant resets the stream (UNAVAILABLE) as often as Envoy ends it (DEADLINE_EXCEEDED).
  // Unset, Envoy alone ends the call at the route's timeout; a shorter client deadline still
  // applies at the client and, through the header, at the backend.
  const headerMax = timeoutMs > 0 && grpc ? {} : { grpc_timeout_header_max: durationFromMs(0) };
  return {
    // Envoy's default 15 s route timeout would cut streaming calls; a gRPC call's bound is its stream duration.
    timeout: durationFromMs(grpc ? 0 : timeoutMs),
    max_stream_duration: { max_stream_duration: durationFromMs(streamMs), ...headerMax },
    ...(retry && { retry_policy: retry }),
  };
}

/** The default route's retries on a gRPC port (options.grpcRetryOn), for entries whose Route says nothing. */
export function defaultEnvoyRetry(options: EnvoyConfigOptions): envoy.config.route.v3.IRetryPolicy | undefined {
  return options.grpcNumRetries > 0 ? { retry_on: options.grpcRetryOn, num_retries: { value: options.grpcNumRetries } } : undefined;
}

function retryPolicy(entry: RouteEntryModel, dialect: RouteDialect): envoy.config.route.v3.IRetryPolicy | undefined {
  const retry: RetryModel | undefined = entry.retry;
  // grpc-js NACKs num_retries 0; no attempt, or nothing to retry on, is no policy.
  if (!retry || retry.attempts < 1 || retry.on.length === 0) return undefined;
  const backoff = retry.backoffMs ? { retry_back_off: { base_interval: durationFromMs(retry.backoffMs) } } : {};
  const attempts = { num_retries: { value: retry.attempts } };
  if (entry.origin.kind === 'GRPCRoute') return { retry_on: retry.on.map(retryOnName).join(','), ...attempts, ...backoff };
  if (dialect === 'proxyless') return undefined; // never served (route-support.ts)
  return { retry_on: 'retriable-status-codes', retriable_status_codes: retry.on.map((code) => Number(code.trim())), ...attempts, ...backoff };
}
