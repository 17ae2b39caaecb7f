// Proxyless resources checked the way clients see them: encoded, then decoded with the
// generated classes (docs/compatibility.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildResourceSet, envoyConfigOptions, serviceLoadAssignments } from '../../envoy-config/index.ts';
import { envoy } from '../../generated/envoy.js';
import { demoEcho, ipv6Greeter, kubeDns, sampleModel, stagingEcho } from './support/sample-model.ts';
import { readableBytes } from './support/readable.ts';

const { Listener } = envoy.config.listener.v3;
const { RouteConfiguration } = envoy.config.route.v3;
const { Cluster } = envoy.config.cluster.v3;
const { ClusterLoadAssignment } = envoy.config.endpoint.v3;
const { HttpConnectionManager } = envoy.extensions.filters.network.http_connection_manager.v3;
const { HealthStatus, ApiVersion } = envoy.config.core.v3;

const options = envoyConfigOptions();
const set = buildResourceSet(sampleModel, 'proxyless', options);
const decoded = {
  listeners: set.listeners.map((message) => Listener.decode(Listener.encode(message).finish())),
  routes: set.routes.map((message) => RouteConfiguration.decode(RouteConfiguration.encode(message).finish())),
  clusters: set.clusters.map((message) => Cluster.decode(Cluster.encode(message).finish())),
  endpoints: set.endpoints.map((message) => ClusterLoadAssignment.decode(ClusterLoadAssignment.encode(message).finish())),
};

function assignment(name: string) {
  const found = decoded.endpoints.find((candidate) => candidate.cluster_name === name);
  assert.ok(found, `no ClusterLoadAssignment ${name}`);
  return found;
}

test('every alias of every TCP port is a listener, sorted by name; UDP ports get nothing', () => {
  const names = decoded.listeners.map((listener) => listener.name);
  assert.equal(names, [...names].sort());
  for (const name of ['echo.demo.svc.cluster.local:50051', 'echo.demo:grpc', 'echo.demo.svc:http', 'echo.staging:50051', 'greeter.demo.svc:9000']) {
    assert.ok(names.includes(name), name);
  }
  assert.ok(names.includes('kube-dns.kube-system:dns-tcp'));
  assert.not.ok(names.includes('kube-dns.kube-system:dns'), 'the UDP port has no listener');
  assert.is(names.length, 6 + 6 + 3 + 3 + 6);
});

test('a listener is an api_listener whose HttpConnectionManager takes RDS over ADS and ends with the router', () => {
  for (const listener of decoded.listeners) {
    assert.is(listener.address, null);
    assert.is(listener.filter_chains.length, 0);
    assert.is(listener.listener_filters.length, 0);
    assert.is(listener.use_original_dst, null);
    const any = listener.api_listener!.api_listener!;
    assert.is(any.type_url, 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
    const manager = HttpConnectionManager.decode(any.value!);
    assert.ok(manager.stat_prefix.length > 0);
    assert.ok(manager.rds!.config_source!.ads);
    assert.is(manager.rds!.config_source!.resource_api_version, ApiVersion.V3);
    const fqdnForm = listener.name.replace(/^([^.]+)\.([^.:]+)(?:\.svc(?:\.cluster\.local)?)?:.*$/, '$1.$2.svc.cluster.local');
    const routeConfigName = manager.rds!.route_config_name!;
    assert.ok(routeConfigName.startsWith(`${fqdnForm}:`), `${listener.name} -> ${routeConfigName}`);
    assert.is(manager.http_filters.at(-1)!.name, 'envoy.filters.http.router');
    assert.is(manager.http_filters.at(-1)!.typed_config!.type_url, 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router');
  }
});

test('aliases by port name point at the route of the port number', () => {
  const listener = decoded.listeners.find((candidate) => candidate.name === 'echo.demo:grpc')!;
  const manager = HttpConnectionManager.decode(listener.api_listener!.api_listener!.value!);
  assert.is(manager.rds!.route_config_name, 'echo.demo.svc.cluster.local:50051');
});

test('one RouteConfiguration per port: a virtual host matching every alias, prefix "" to the cluster', () => {
  assert.is(decoded.routes.length, 5);
  const route = decoded.routes.find((candidate) => candidate.name === 'echo.demo.svc.cluster.local:50051')!;
  assert.is(route.virtual_hosts.length, 1);
  const [host] = route.virtual_hosts;
  const aliases = decoded.listeners.map((listener) => listener.name).filter((name) => /^echo\.demo[.:].*(50051|grpc)$/.test(name));
  assert.equal([...host!.domains!].sort(), aliases);
  assert.is(host!.routes!.length, 1);
  assert.is(host!.routes![0]!.match!.prefix, '');
  assert.is(host!.routes![0]!.route!.cluster, 'outbound|50051||echo.demo.svc.cluster.local');
});

test('clusters: EDS over ADS with service_name, ROUND_ROBIN plus wrr_locality{round_robin}', () => {
  assert.equal(
    decoded.clusters.map((cluster) => cluster.name),
    [
      'outbound|50051||echo.demo.svc.cluster.local',
      'outbound|50051||echo.staging.svc.cluster.local',
      'outbound|53||kube-dns.kube-system.svc.cluster.local',
      'outbound|8080||echo.demo.svc.cluster.local',
      'outbound|9000||greeter.demo.svc.cluster.local',
    ],
  );
  for (const cluster of decoded.clusters) {
    assert.is(cluster.type, Cluster.DiscoveryType.EDS);
    assert.ok(cluster.eds_cluster_config!.eds_config!.ads);
    assert.is(cluster.eds_cluster_config!.eds_config!.resource_api_version, ApiVersion.V3);
    assert.is(cluster.eds_cluster_config!.service_name, cluster.name);
    assert.is(cluster.lb_policy, Cluster.LbPolicy.ROUND_ROBIN);
    const policies = cluster.load_balancing_policy!.policies!;
    assert.is(policies.length, 1);
    const wrrLocality = policies[0]!.typed_extension_config!;
    assert.is(wrrLocality.name, 'envoy.load_balancing_policies.wrr_locality');
    assert.equal(readableBytes(wrrLocality.typed_config!.type_url!, wrrLocality.typed_config!.value!), {
      endpoint_picking_policy: {
        policies: [
          {
            typed_extension_config: {
              name: 'envoy.load_balancing_policies.round_robin',
              typed_config: { '@type': 'type.googleapis.com/envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin' },
            },
          },
        ],
      },
    });
  }
});

test('endpoints: one locality per zone weighted by its healthy endpoints, draining ones kept as DRAINING', () => {
  const grpc = assignment('outbound|50051||echo.demo.svc.cluster.local');
  assert.equal(
    grpc.endpoints.map((locality) => [locality.locality!.zone, locality.load_balancing_weight!.value, locality.priority]),
    [
      ['zone-a', 2, 0],
      ['zone-b', 1, 0],
    ],
  );
  assert.equal(
    grpc.endpoints[0]!.lb_endpoints!.map(({ endpoint, health_status }) => [endpoint!.address!.socket_address!.address, endpoint!.address!.socket_address!.port_value, health_status]),
    [
      ['10.0.1.1', 9000, HealthStatus.HEALTHY],
      ['10.0.1.2', 9000, HealthStatus.DRAINING],
      ['10.0.1.3', 9000, HealthStatus.HEALTHY],
    ],
  );
});

test('a locality whose endpoints all drain still weighs 1 (PGV: at least 1)', () => {
  const staging = assignment('outbound|50051||echo.staging.svc.cluster.local');
  assert.equal(staging.endpoints.map((locality) => [locality.locality!.zone, locality.load_balancing_weight!.value]), [['zone-a', 1], ['zone-b', 1]]);
  assert.is(staging.endpoints[0]!.lb_endpoints![0]!.health_status, HealthStatus.DRAINING);
});

test('when no endpoint is ready, the terminating ones that still serve are used, as kube-proxy does', () => {
  const [port] = stagingEcho.ports;
  const allDraining = { ...stagingEcho, ports: [{ ...port!, endpoints: port!.endpoints.map((endpoint) => ({ ...endpoint, health: 'DRAINING' as const })) }] };
  const [only] = serviceLoadAssignments(allDraining, options);
  assert.equal(
    only!.endpoints!.map((locality) => [locality.locality!.zone, locality.load_balancing_weight!.value, locality.lb_endpoints!.map((e) => e.health_status)]),
    [['zone-a', 1, [HealthStatus.HEALTHY]], ['zone-b', 1, [HealthStatus.HEALTHY]]],
  );
});

test('IPv6 endpoints are IP literals; an unset zone is one locality with an empty zone', () => {
  const greeter = assignment('outbound|9000||greeter.demo.svc.cluster.local');
  assert.is(greeter.endpoints.length, 1);
  assert.ok(greeter.endpoints[0]!.locality, 'the locality is present even without a zone');
  assert.is(greeter.endpoints[0]!.locality!.zone, '');
  assert.equal(
    greeter.endpoints[0]!.lb_endpoints!.map(({ endpoint }) => endpoint!.address!.socket_address!.address),
    ['fd00::1', 'fd00::2'],
  );
});

test('the endpoints fast path gives the same ClusterLoadAssignments as the full build', () => {
  for (const service of [demoEcho, stagingEcho, ipv6Greeter, kubeDns]) {
    for (const fast of serviceLoadAssignments(service, options)) {
      const full = set.endpoints.find((candidate) => candidate.cluster_name === fast.cluster_name)!;
      assert.equal(ClusterLoadAssignment.encode(fast).finish(), ClusterLoadAssignment.encode(full).finish());
    }
  }
  assert.equal(
    serviceLoadAssignments(demoEcho, options).map((assignment) => assignment.cluster_name),
    ['outbound|50051||echo.demo.svc.cluster.local', 'outbound|8080||echo.demo.svc.cluster.local'],
  );
});

test.run();
