// Every protoc-gen-validate rule kind the protos declare, each broken by a real Envoy message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkPgv } from '../support/envoy-check/index.ts';
import {
  apiListener,
  connectionManager,
  edsCluster,
  encode,
  loadAssignment,
  pack,
  routeConfiguration,
  serviceCluster,
  types,
} from './examples.ts';
import { found } from './found.ts';

const LISTENER = 'envoy.config.listener.v3.Listener';
const ROUTES = 'envoy.config.route.v3.RouteConfiguration';
const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const ENDPOINTS = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';
const HCM = '<envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager>';
const PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function withRoute(route: Record<string, unknown>): Record<string, unknown> {
  return routeConfiguration({ virtual_hosts: [{ name: 'foo', domains: ['foo'], routes: [route] }] });
}

function withHeaders(...headers: Record<string, unknown>[]): Record<string, unknown> {
  return routeConfiguration({ request_headers_to_add: headers.map((header) => ({ header })) });
}

function healthCheck(overrides: Record<string, unknown>): Record<string, unknown> {
  const httpHealthCheck = { path: '/healthz', ...overrides };
  return {
    timeout: { seconds: 1 },
    interval: { seconds: 5 },
    unhealthy_threshold: { value: 2 },
    healthy_threshold: { value: 1 },
    http_health_check: httpHealthCheck,
  };
}

test('string.min_len: a Cluster with an empty name', () => {
  assert.equal(found(checkPgv(CLUSTER, edsCluster({ name: '' }))), ['name string.min_len']);
});

test('string.max_bytes: a header name over 16 KiB', () => {
  const problems = checkPgv(ROUTES, withHeaders({ key: 'x'.repeat(16_385), value: 'v' }));
  assert.equal(found(problems), ['request_headers_to_add[0].header.key string.max_bytes']);
});

test('string.well_known_regex (loose): a header name or value with a newline', () => {
  const problems = checkPgv(ROUTES, withHeaders({ key: 'x-a\nb', value: 'ok' }, { key: 'x-b', value: 'line\nbreak' }));
  assert.equal(found(problems), [
    'request_headers_to_add[0].header.key string.well_known_regex',
    'request_headers_to_add[1].header.value string.well_known_regex',
  ]);
  assert.equal(checkPgv(ROUTES, withHeaders({ key: 'x-a', value: 'tab\tis fine' })), []);
});

test('string.well_known_regex (strict) and ignore_empty: the SNI header override in an Any', () => {
  const cluster = (override: string) =>
    edsCluster({
      typed_extension_protocol_options: {
        [PROTOCOL_OPTIONS]: pack(types.HttpProtocolOptions, {
          upstream_http_protocol_options: { override_auto_sni_header: override },
          explicit_http_config: { http2_protocol_options: {} },
        }),
      },
    });
  assert.equal(found(checkPgv(CLUSTER, cluster('has space'))), [
    `typed_extension_protocol_options["${PROTOCOL_OPTIONS}"]<${PROTOCOL_OPTIONS}>.upstream_http_protocol_options.override_auto_sni_header string.well_known_regex`,
  ]);
  assert.equal(checkPgv(CLUSTER, cluster('')), [], 'ignore_empty');
  assert.equal(checkPgv(CLUSTER, cluster(':authority')), []);
});

test('string.well_known_regex (strict HTTP_HEADER_VALUE): a health check host with a control character', () => {
  const problems = checkPgv(CLUSTER, edsCluster({ health_checks: [healthCheck({ host: 'a\u0001b' })] }));
  assert.equal(found(problems), ['health_checks[0].http_health_check.host string.well_known_regex']);
});

test('string.pattern: a path_separated_prefix ending in a slash', () => {
  const problems = checkPgv(ROUTES, withRoute({ match: { path_separated_prefix: '/api/' }, route: { cluster: 'c' } }));
  assert.equal(found(problems), ['virtual_hosts[0].routes[0].match.path_separated_prefix string.pattern']);
});

test('string.in: an HCM overwriting the scheme with ftp', () => {
  const hcm = connectionManager({ scheme_header_transformation: { scheme_to_overwrite: 'ftp' } });
  const problems = checkPgv(LISTENER, apiListener(hcm));
  assert.equal(found(problems), [`api_listener.api_listener${HCM}.scheme_header_transformation.scheme_to_overwrite string.in`]);
});

test('repeated.min_items and repeated.items.string.*: virtual host domains', () => {
  const routes = (domains: string[]) => routeConfiguration({ virtual_hosts: [{ name: 'foo', domains }] });
  assert.equal(found(checkPgv(ROUTES, routes([]))), ['virtual_hosts[0].domains repeated.min_items']);
  assert.equal(found(checkPgv(ROUTES, routes(['ok', 'foo\nbar']))), ['virtual_hosts[0].domains[1] repeated.items.string.well_known_regex']);
});

test('repeated.max_items: more than 1000 headers to add', () => {
  const headers = Array.from({ length: 1001 }, (_, index) => ({ key: `x-${index}`, value: 'v' }));
  assert.equal(found(checkPgv(ROUTES, withHeaders(...headers))), ['request_headers_to_add repeated.max_items']);
});

test('repeated.unique: an internal redirect copying one header twice', () => {
  const route = { match: { prefix: '' }, route: { cluster: 'c', internal_redirect_policy: { response_headers_to_copy: ['x-a', 'x-a'] } } };
  assert.equal(found(checkPgv(ROUTES, withRoute(route))), [
    'virtual_hosts[0].routes[0].route.internal_redirect_policy.response_headers_to_copy[1] repeated.unique',
  ]);
});

test('repeated.items.uint32.gte/lte: filter chain source ports', () => {
  const listener = { name: 'l', filter_chains: [{ filter_chain_match: { source_ports: [0, 443, 70_000] } }] };
  assert.equal(found(checkPgv(LISTENER, listener)), [
    'filter_chains[0].filter_chain_match.source_ports[0] repeated.items.uint32.gte',
    'filter_chains[0].filter_chain_match.source_ports[2] repeated.items.uint32.lte',
  ]);
});

test('uint32.lte: an endpoint port above 65535', () => {
  const endpoints = loadAssignment({
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.2', port_value: 70_000 } } } }] }],
  });
  assert.equal(found(checkPgv(ENDPOINTS, endpoints)), ['endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value uint32.lte']);
});

test('uint32.gte on a wrapper: a locality with load_balancing_weight 0, and unset is fine', () => {
  const endpoints = (weight?: { value: number }) =>
    loadAssignment({ endpoints: [{ locality: { zone: 'a' }, load_balancing_weight: weight, lb_endpoints: [] }] });
  assert.equal(found(checkPgv(ENDPOINTS, endpoints({ value: 0 }))), ['endpoints[0].load_balancing_weight uint32.gte']);
  assert.equal(checkPgv(ENDPOINTS, endpoints()), []);
});

test('uint64.lte on a wrapper: a ring hash minimum above 8M', () => {
  const cluster = edsCluster({ lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: { value: 8_388_609 } } });
  assert.equal(found(checkPgv(CLUSTER, cluster)), ['ring_hash_lb_config.minimum_ring_size uint64.lte']);
});

test('double.gte on a wrapper: a preconnect ratio below 1', () => {
  const cluster = edsCluster({ preconnect_policy: { per_upstream_preconnect_ratio: { value: 0.5 } } });
  assert.equal(found(checkPgv(CLUSTER, cluster)), ['preconnect_policy.per_upstream_preconnect_ratio double.gte']);
});

test('float.gte inside an Any: a negative error utilization penalty', () => {
  const policy = 'envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin';
  const typedConfig = pack(types.ClientSideWeightedRoundRobin, { error_utilization_penalty: { value: -1 } });
  const cluster = edsCluster({ load_balancing_policy: { policies: [{ typed_extension_config: { name: 'cswrr', typed_config: typedConfig } }] } });
  assert.equal(found(checkPgv(CLUSTER, cluster)), [
    `load_balancing_policy.policies[0].typed_extension_config.typed_config<${policy}>.error_utilization_penalty float.gte`,
  ]);
});

test('bool.const: a listener filter disabled by any_match false', () => {
  const listener = { name: 'l', listener_filters: [{ name: 'f', filter_disabled: { any_match: false } }] };
  assert.equal(found(checkPgv(LISTENER, listener)), ['listener_filters[0].filter_disabled.any_match bool.const']);
});

test('enum.defined_only: an lb_policy number that does not exist', () => {
  assert.equal(found(checkPgv(CLUSTER, edsCluster({ lb_policy: 99 }))), ['lb_policy enum.defined_only']);
});

test('enum.not_in: a health check using CONNECT', () => {
  const problems = checkPgv(CLUSTER, edsCluster({ health_checks: [healthCheck({ method: 'CONNECT' })] }));
  assert.equal(found(problems), ['health_checks[0].http_health_check.method enum.not_in']);
});

test('message.required and oneof.required: a route without match, a route without action', () => {
  assert.equal(found(checkPgv(ROUTES, withRoute({ route: { cluster: 'c' } }))), ['virtual_hosts[0].routes[0].match message.required']);
  assert.equal(found(checkPgv(ROUTES, withRoute({ match: { prefix: '' } }))), ['virtual_hosts[0].routes[0].action oneof.required']);
});

test('oneof.required inside an Any: an HCM with neither rds nor route_config', () => {
  const problems = checkPgv(LISTENER, apiListener(connectionManager({ rds: undefined })));
  assert.equal(found(problems), [`api_listener.api_listener${HCM}.route_specifier oneof.required`]);
});

test('rules of an unset oneof member do not apply', () => {
  // RouteMatch.safe_regex is message.required, but only when it is the path specifier chosen.
  assert.equal(checkPgv(ROUTES, withRoute({ match: { prefix: '/' }, route: { cluster: 'c' } })), []);
});

test('map.keys.string.min_len: cluster metadata under an empty filter name', () => {
  const cluster = edsCluster({ metadata: { filter_metadata: { '': { fields: {} } } } });
  assert.equal(found(checkPgv(CLUSTER, cluster)), ['metadata.filter_metadata[""] map.keys.string.min_len']);
});

test('map.min_pairs: a virtual host matcher with an empty exact match map', () => {
  // The input's type is irrelevant to PGV; Empty stands in for a real matcher input.
  const input = { name: 'input', typed_config: { type_url: 'type.googleapis.com/google.protobuf.Empty', value: new Uint8Array() } };
  const matcher = { matcher_tree: { input, exact_match_map: { map: {} } } };
  const routes = routeConfiguration({ virtual_hosts: [{ name: 'foo', domains: ['foo'], matcher }] });
  assert.equal(found(checkPgv(ROUTES, routes)), ['virtual_hosts[0].matcher.matcher_tree.exact_match_map.map map.min_pairs']);
});

test('any.required: a load balancing policy without typed_config', () => {
  const cluster = edsCluster({ load_balancing_policy: { policies: [{ typed_extension_config: { name: 'round_robin' } }] } });
  assert.equal(found(checkPgv(CLUSTER, cluster)), ['load_balancing_policy.policies[0].typed_extension_config.typed_config any.required']);
});

test('any.unknown_type: an http filter of a type no loaded proto defines', () => {
  const unknown = { name: 'nope', typed_config: { type_url: 'type.googleapis.com/envoy.extensions.filters.http.nope.v3.Nope', value: new Uint8Array() } };
  const hcm = connectionManager({ http_filters: [unknown, { name: 'router', typed_config: pack(types.Router, {}) }] });
  assert.equal(found(checkPgv(LISTENER, apiListener(hcm))), [`api_listener.api_listener${HCM}.http_filters[0].typed_config any.unknown_type`]);
});

test('duration.gt: a zero or negative connect_timeout', () => {
  assert.equal(found(checkPgv(CLUSTER, edsCluster({ connect_timeout: { seconds: 0 } }))), ['connect_timeout duration.gt']);
  assert.equal(found(checkPgv(CLUSTER, edsCluster({ connect_timeout: { seconds: -1 } }))), ['connect_timeout duration.gt']);
});

test('duration.required: a health check without a timeout', () => {
  const check = { ...healthCheck({}), timeout: undefined };
  assert.equal(found(checkPgv(CLUSTER, edsCluster({ health_checks: [check] }))), ['health_checks[0].timeout duration.required']);
});

test('duration.lt and duration.gte: a stats flush interval out of its range', () => {
  assert.equal(found(checkPgv(BOOTSTRAP, { stats_flush_interval: { seconds: 300 } })), ['stats_flush_interval duration.lt']);
  assert.equal(found(checkPgv(BOOTSTRAP, { stats_flush_interval: { nanos: 999_999 } })), ['stats_flush_interval duration.gte']);
  assert.equal(checkPgv(BOOTSTRAP, { stats_flush_interval: { nanos: 1_000_000 } }), []);
});

test('bytes.max_len: a raw header value over 16 KiB', () => {
  const problems = checkPgv(ROUTES, withHeaders({ key: 'x-bin', raw_value: new Uint8Array(16_385) }));
  assert.equal(found(problems), ['request_headers_to_add[0].header.raw_value bytes.max_len']);
});

test('encoded bytes are checked like plain objects', () => {
  assert.equal(found(checkPgv(CLUSTER, encode(types.Cluster, edsCluster({ name: '', lb_policy: 99 })))), [
    'name string.min_len',
    'lb_policy enum.defined_only',
  ]);
  assert.equal(found(checkPgv(CLUSTER, new Uint8Array([0x0a, 0xff]))), [' proto.decode']);
});

test('what fromObject() would silently drop or coerce is reported', () => {
  const problems = checkPgv(CLUSTER, edsCluster({ nmae: 'typo', lb_policy: 'ROUND_ROBINN', per_connection_buffer_limit_bytes: { value: -1 } }));
  assert.equal(found(problems), ['lb_policy proto.enum_value', 'nmae proto.unknown_field', 'per_connection_buffer_limit_bytes.value proto.type']);
  const aggregate = pack(types.AggregateCluster, { clusters: [serviceCluster] });
  const twoKinds = edsCluster({ cluster_type: { name: 'envoy.clusters.aggregate', typed_config: aggregate } });
  assert.equal(found(checkPgv(CLUSTER, twoKinds)), ['cluster_discovery_type proto.oneof_multiple']);
});

test.run();
