// Gateway API route entries in the builders' output: one Route per entry in order before the
// default route, each match and action mapping per client class, the unresolved cluster, and
// what a class cannot be served left out of it with a reason (route-support.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildResourceSet, envoyConfigOptions, serviceLoadAssignments, type ClientClass } from '../../envoy-config/index.ts';
import { unsupportedFor } from '../../envoy-config/route-support.ts';
import type { RouteEntryModel } from '../../k8s/route-model.ts';
import { encodeSet, readableSet, type Readable } from './support/readable.ts';
import { backend, echoRoutes, matching, origin, routedEcho, routedModel, routedService } from './support/routed-model.ts';

const options = envoyConfigOptions();
const echoCluster = (port: number) => `outbound|${port}||echo.demo.svc.cluster.local`;
const canaryCluster = (port: number) => `outbound|${port}||echo-canary.demo.svc.cluster.local`;
const unresolved = 'unresolved||echo.demo.svc.cluster.local';

/** A decoded Route: any, so that tests walk it freely (undefined fails the assertion that reads it). */
type RouteReadable = Readable[string];

/** The routes of the echo Service's `port` as `clientClass` gets them. */
function routesOf(clientClass: ClientClass, port: number, model = routedModel): RouteReadable[] {
  const set = readableSet(buildResourceSet(model, clientClass, options));
  if (clientClass === 'proxyless') return set.routes.find((route) => route.name === `echo.demo.svc.cluster.local:${port}`)!.virtual_hosts[0].routes;
  const name = clientClass === 'gateway' ? 'gateway' : `sidecar_${port}`;
  const host = set.routes.find((route) => route.name === name)!.virtual_hosts.find((candidate: Readable) => candidate.name === echoCluster(port));
  return host.routes;
}

const names = (routes: RouteReadable[]) => routes.map((route) => route.name ?? '(default)');

function routeWith(entry: Omit<RouteEntryModel, 'origin'>, kind: 'GRPCRoute' | 'HTTPRoute' = 'GRPCRoute'): typeof routedModel {
  return [routedService('echo', [{ origin: origin(kind, 'r', 0), ...entry }]), routedService('echo-canary', [])];
}

/** Whether the RE2 pattern of a safe_regex matches all of `value` (JavaScript agrees with RE2 on these). */
const fullMatch = (regex: string, value: string) => new RegExp(`^${regex}$`).test(value);

test('entries come in order, only on their port, before the default route (every class)', () => {
  const grpc = ['GRPCRoute/demo/echo-canary/rule/0/match/0', 'GRPCRoute/demo/echo-canary/rule/1/match/0', 'GRPCRoute/demo/echo-canary/rule/2/match/0', 'HTTPRoute/demo/echo-http/rule/1/match/0', '(default)'];
  for (const clientClass of ['proxyless', 'gateway', 'sidecar'] as const) assert.equal(names(routesOf(clientClass, 50051)), grpc, clientClass);
  assert.equal(names(routesOf('sidecar', 8080)), ['HTTPRoute/demo/echo-http/rule/0/match/0', 'HTTPRoute/demo/echo-http/rule/1/match/0', '(default)']);
  assert.equal(names(routesOf('proxyless', 8080)), ['HTTPRoute/demo/echo-http/rule/1/match/0', '(default)'], 'query parameters and GET are left out for gRPC clients');
  assert.equal(routesOf('proxyless', 50051).at(-1), { match: { prefix: '' }, route: { cluster: echoCluster(50051) } });
});

test('a Service without routes keeps the single default route', () => {
  assert.equal(names(routesOf('proxyless', 50051, [routedService('echo', [])])), ['(default)']);
  assert.equal(names(routesOf('gateway', 50051, [routedService('echo', [])])), ['(default)']);
});

test('path matches: Exact is path, RegularExpression safe_regex, PathPrefix by whole segments', () => {
  for (const clientClass of ['proxyless', 'sidecar'] as const) {
    const [exact, prefix, regex] = routesOf(clientClass, 50051);
    assert.equal(exact.match.path, '/kubexds.demo.Echo/Hello');
    assert.equal(regex.match.safe_regex, { regex: '(?:/[^/]+/Bye)' });
    const pattern = prefix.match.safe_regex.regex as string;
    for (const path of ['/kubexds.demo.Echo', '/kubexds.demo.Echo/', '/kubexds.demo.Echo/Hello']) assert.ok(fullMatch(pattern, path), `${pattern} matches ${path}`);
    for (const path of ['/kubexds.demo.EchoX/Hello', '/kubexds.demoXEcho/Hello', '/other.Echo/Hello']) assert.not.ok(fullMatch(pattern, path), `${pattern} does not match ${path}`);
  }
  const root = routesOf('proxyless', 50051, routeWith({ match: matching({ path: { type: 'PathPrefix', value: '/' } }), backends: [backend('echo-canary', 50051, 1)] }));
  assert.equal(root[0]!.match, { prefix: '/' });
  const none = routesOf('sidecar', 50051, routeWith({ match: matching({}), backends: [backend('echo-canary', 50051, 1)] }));
  assert.equal(none[0]!.match, { prefix: '' });
  const alternation = routesOf('proxyless', 50051, routeWith({ match: matching({ path: { type: 'RegularExpression', value: '/a/b|/c/d' } }), backends: [backend('echo-canary', 50051, 1)] }));
  assert.not.ok(fullMatch(alternation[0]!.match.safe_regex.regex, '/a/bX'), 'a top-level alternation stays whole when a client wraps it in ^…$');
});

test('header matches: exact_match and safe_regex_match for gRPC clients, string_match for Envoy; the method as :method for Envoy', () => {
  const [exact, regex] = routesOf('proxyless', 50051);
  assert.equal(exact.match.headers, [{ name: 'x-user', exact_match: 'alice' }]);
  assert.equal(regex.match.headers, [{ name: 'x-env', safe_regex_match: { regex: '(?:canary|beta)' } }]);
  const [envoyExact, envoyRegex] = routesOf('gateway', 50051);
  assert.equal(envoyExact.match.headers, [{ name: 'x-user', string_match: { exact: 'alice' } }]);
  assert.equal(envoyRegex.match.headers, [{ name: 'x-env', string_match: { safe_regex: { regex: '(?:canary|beta)' } } }]);
  const [http] = routesOf('sidecar', 8080);
  assert.equal(http.match.headers, [{ name: ':method', string_match: { exact: 'GET' } }]);
  assert.equal(http.match.query_parameters, [{ name: 'version', string_match: { exact: 'v2' } }]);
  const post = routesOf('proxyless', 50051, routeWith({ match: matching({ method: 'POST' }), backends: [backend('echo-canary', 50051, 1)] }, 'HTTPRoute'));
  assert.equal(post[0]!.match, { prefix: '' }, 'POST is every gRPC call: no matcher');
});

test('backends: weighted clusters across Services, one backend a plain cluster, a missing one or all weights 0 the unresolved cluster', () => {
  const [split, single, withMissing, allZero] = routesOf('proxyless', 50051);
  assert.equal(split.route.weighted_clusters, { clusters: [{ name: echoCluster(50051), weight: { value: 90 } }, { name: canaryCluster(50051), weight: { value: 10 } }], total_weight: { value: 100 } });
  assert.equal(single.route.cluster, canaryCluster(50051));
  assert.equal(withMissing.route.weighted_clusters, { clusters: [{ name: canaryCluster(50051), weight: { value: 50 } }, { name: unresolved, weight: { value: 50 } }], total_weight: { value: 100 } }, 'C-core 1.51 needs the total');
  assert.equal(routesOf('gateway', 50051)[2]!.route.weighted_clusters, { clusters: [{ name: canaryCluster(50051), weight: { value: 50 } }, { name: unresolved, weight: { value: 50 } }] }, 'Envoy: no deprecated total');
  assert.equal(allZero.route.cluster, unresolved);
  const merged = routesOf('proxyless', 50051, routeWith({
    match: matching({}),
    backends: [backend('echo-canary', 50051, 1), backend('gone', 50051, 2, false), backend('also-gone', 9, 3, false), backend('echo-canary', 50051, 4), backend('echo', 50051, 0)],
  }));
  assert.equal(merged[0]!.route.weighted_clusters, { clusters: [{ name: canaryCluster(50051), weight: { value: 5 } }, { name: unresolved, weight: { value: 5 } }], total_weight: { value: 10 } }, 'one entry per cluster, weight 0 left out');
});

test('the unresolved cluster exists, with an empty assignment, exactly when a route needs it; its assignment is the same bytes for every class', () => {
  for (const clientClass of ['proxyless', 'gateway', 'sidecar'] as const) {
    const set = buildResourceSet(routedModel, clientClass, options);
    assert.ok(set.clusters.some((cluster) => cluster.name === unresolved), clientClass);
    assert.equal(set.endpoints.find((assignment) => assignment.cluster_name === unresolved), { cluster_name: unresolved, endpoints: [] }, clientClass);
    const without = buildResourceSet([routedService('echo', [echoRoutes[1]!]), routedService('echo-canary', [])], clientClass, options);
    assert.not.ok(without.clusters.some((cluster) => cluster.name === unresolved), `${clientClass}: no route needs it`);
  }
  const assignments = ['proxyless', 'gateway', 'sidecar'].map((clientClass) => encodeSet(buildResourceSet(routedModel, clientClass as ClientClass, options)).endpoints.map(Buffer.from));
  assert.equal(assignments[1], assignments[0]);
  assert.equal(assignments[2], assignments[0]);
  assert.equal(serviceLoadAssignments(routedEcho, options).map((assignment) => assignment.cluster_name), [echoCluster(50051), echoCluster(8080), unresolved].sort(), 'the endpoints fast path keeps it');
});

test('a timeout: the call deadline for gRPC clients, the stream bound for Envoy on gRPC (neither with grpc_timeout_header_max), the route timeout on HTTP', () => {
  const [proxyless] = routesOf('proxyless', 50051);
  assert.equal(proxyless.route.max_stream_duration, { max_stream_duration: { seconds: 1, nanos: 500_000_000 } });
  const [envoyGrpc] = routesOf('sidecar', 50051);
  assert.equal(envoyGrpc.route.timeout, {});
  assert.equal(envoyGrpc.route.max_stream_duration, { max_stream_duration: { seconds: 1, nanos: 500_000_000 } }, 'no header max: Envoy alone ends the call at the timeout');
  const [envoyHttp] = routesOf('sidecar', 8080);
  assert.equal(envoyHttp.route.timeout, { seconds: 2 });
  assert.equal(envoyHttp.route.max_stream_duration, { max_stream_duration: { seconds: 3600 }, grpc_timeout_header_max: {} });
  const [, noTimeout] = routesOf('gateway', 50051);
  assert.equal(noTimeout.route.max_stream_duration, { max_stream_duration: { seconds: 3600 }, grpc_timeout_header_max: {} }, 'as the default route');
  assert.not.ok(routesOf('proxyless', 50051)[1]!.route.max_stream_duration);
});

test('retries: gRPC status names as retry_on, attempts and backoff; HTTP codes for Envoy only; Envoy keeps its default retries where the Route says none', () => {
  const expected = { retry_on: 'unavailable,resource-exhausted', num_retries: { value: 2 }, retry_back_off: { base_interval: { nanos: 50_000_000 } } };
  assert.equal(routesOf('proxyless', 50051)[0]!.route.retry_policy, expected);
  assert.equal(routesOf('gateway', 50051)[0]!.route.retry_policy, expected);
  assert.equal(routesOf('sidecar', 8080)[0]!.route.retry_policy, { retry_on: 'retriable-status-codes', retriable_status_codes: [503], num_retries: { value: 1 } });
  assert.not.ok(routesOf('proxyless', 50051)[1]!.route.retry_policy, 'gRPC clients: no retries unless the Route says');
  assert.equal(routesOf('sidecar', 50051)[1]!.route.retry_policy, { retry_on: options.grpcRetryOn, num_retries: { value: options.grpcNumRetries } });
  assert.not.ok(routesOf('sidecar', 8080)[1]!.route.retry_policy, 'an HTTP port has no default retries');
  const none = routeWith({ match: matching({}), backends: [backend('echo-canary', 50051, 1)], retry: { on: ['unavailable'], attempts: 0 } });
  assert.not.ok(routesOf('proxyless', 50051, none)[0]!.route.retry_policy, 'zero attempts: no policy (grpc-js NACKs num_retries 0)');
});

test('unsupportedFor: reasons per class; an entry left out where it has one', () => {
  const served = { proxyless: [], gateway: [], sidecar: [] };
  for (const entry of echoRoutes.filter((entry) => entry.origin.kind === 'GRPCRoute')) assert.equal(unsupportedFor(entry), served);
  const http = unsupportedFor(echoRoutes[3]!);
  assert.equal(http.gateway, []);
  assert.equal(http.sidecar, []);
  assert.equal(http.proxyless, [
    'gRPC requests carry no query string, so gRPC clients never match query parameters',
    'every gRPC call is a POST, so gRPC clients never match another method',
    'gRPC clients retry on gRPC status codes only, not on HTTP status codes',
  ]);
  const base = { origin: origin('GRPCRoute', 'r', 0), backends: [backend('echo-canary', 50051, 1)] };
  const grpcHeader = unsupportedFor({ ...base, match: matching({ headers: [{ name: 'grpc-tags-bin', type: 'Exact', value: 'x' }] }) });
  assert.equal(grpcHeader, { proxyless: ['gRPC clients do not match on grpc-* or binary (-bin) headers'], gateway: [], sidecar: [] });
  const everywhere = unsupportedFor({ ...base, match: matching({ path: { type: 'RegularExpression', value: '/(?!admin)[^/]+/Get' } }), retry: { on: ['aborted', 'unavailable'], attempts: 1 } });
  assert.equal(everywhere.gateway, everywhere.proxyless);
  assert.equal(everywhere.sidecar, [
    'retry on aborted: gRPC clients and Envoy retry only on cancelled, deadline-exceeded, internal, resource-exhausted, unavailable',
    'the regular expression "/(?!admin)[^/]+/Get" uses a lookaround ((?=, (?!, (?<=, (?<!), which RE2 (Envoy, gRPC) does not support',
  ]);
  const model = [routedService('echo', [{ ...base, match: matching({ path: { type: 'RegularExpression', value: '/(?!admin)[^/]+/Get' } }) }]), routedService('echo-canary', [])];
  for (const clientClass of ['proxyless', 'gateway', 'sidecar'] as const) assert.equal(names(routesOf(clientClass, 50051, model)), ['(default)'], clientClass);
});

test.run();
