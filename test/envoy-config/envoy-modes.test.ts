// Envoy gateway and sidecar resources (docs/design.md §5), read back through the generated code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildResourceSet, envoyConfigOptions, type ResourceSet } from '../../envoy-config/index.ts';
import { readableSet, type Readable } from './support/readable.ts';
import { sampleModel } from './support/sample-model.ts';

const options = envoyConfigOptions({ gatewayPorts: [8080, 8443] });
const gateway = readableSet(buildResourceSet(sampleModel, 'gateway', options));
const sidecar = readableSet(buildResourceSet(sampleModel, 'sidecar', options));

function virtualHosts(set: ReturnType<typeof readableSet>, routeName: string): Readable[] {
  const route = set.routes.find((candidate) => candidate.name === routeName);
  assert.ok(route, `no RouteConfiguration ${routeName}`);
  return route.virtual_hosts;
}

function domainsOf(hosts: Readable[], clusterName: string): string[] {
  const host = hosts.find((candidate) => candidate.routes[0].route.cluster === clusterName);
  assert.ok(host, `no virtual host for ${clusterName}`);
  return host.domains;
}

function assertUniqueDomains(hosts: Readable[]): void {
  const all = hosts.flatMap((host) => host.domains as string[]);
  assert.equal(all.length, new Set(all).size, `repeated domains: ${all.filter((domain, index) => all.indexOf(domain) !== index)}`);
  for (const host of hosts) assert.ok(host.domains.length > 0, `${host.name} has no domain`);
}

test('gateway: a listener on 0.0.0.0 per gateway port, all routed by the one RouteConfiguration over RDS', () => {
  assert.equal(
    gateway.listeners.map((listener) => [listener.name, listener.address.socket_address]),
    [
      ['gateway_8080', { address: '0.0.0.0', port_value: 8080 }],
      ['gateway_8443', { address: '0.0.0.0', port_value: 8443 }],
    ],
  );
  for (const listener of gateway.listeners) {
    const [filter] = listener.filter_chains[0].filters;
    assert.is(filter.name, 'envoy.filters.network.http_connection_manager');
    assert.equal(filter.typed_config.rds, { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: 'gateway' });
    assert.is(filter.typed_config.http_filters.at(-1).name, 'envoy.filters.http.router');
    assert.is(filter.typed_config.access_log, undefined, 'access logs are off by default');
  }
  assert.equal(gateway.routes.map((route) => route.name), ['gateway']);
});

test('gateway: every short form that two virtual hosts would share is left out', () => {
  const hosts = virtualHosts(gateway, 'gateway');
  assertUniqueDomains(hosts);
  // demo/echo has two ports: no port-less forms; staging/echo shares its name: no bare `echo`.
  assert.equal(domainsOf(hosts, 'outbound|50051||echo.demo.svc.cluster.local'), [
    'echo.demo:50051',
    'echo.demo.svc:50051',
    'echo.demo.svc.cluster.local:50051',
  ]);
  assert.equal(domainsOf(hosts, 'outbound|8080||echo.demo.svc.cluster.local'), [
    'echo:8080',
    'echo.demo:8080',
    'echo.demo.svc:8080',
    'echo.demo.svc.cluster.local:8080',
  ]);
  assert.equal(domainsOf(hosts, 'outbound|50051||echo.staging.svc.cluster.local'), [
    'echo.staging',
    'echo.staging:50051',
    'echo.staging.svc',
    'echo.staging.svc:50051',
    'echo.staging.svc.cluster.local',
    'echo.staging.svc.cluster.local:50051',
  ]);
  assert.equal(domainsOf(hosts, 'outbound|9000||greeter.demo.svc.cluster.local'), [
    'greeter',
    'greeter:9000',
    'greeter.demo',
    'greeter.demo:9000',
    'greeter.demo.svc',
    'greeter.demo.svc:9000',
    'greeter.demo.svc.cluster.local',
    'greeter.demo.svc.cluster.local:9000',
  ]);
});

test('routes: no route timeout, a bounded stream duration honouring grpc-timeout, retries on gRPC ports only', () => {
  const hosts = virtualHosts(gateway, 'gateway');
  const grpcRoute = hosts.find((host) => host.name === 'outbound|50051||echo.demo.svc.cluster.local')!.routes[0];
  assert.equal(grpcRoute.match, { prefix: '' });
  assert.equal(grpcRoute.route.timeout, {});
  assert.equal(grpcRoute.route.max_stream_duration, { max_stream_duration: { seconds: 3600 }, grpc_timeout_header_max: {} });
  assert.equal(grpcRoute.route.retry_policy, { retry_on: options.grpcRetryOn, num_retries: { value: 2 } });
  const httpRoute = hosts.find((host) => host.name === 'outbound|8080||echo.demo.svc.cluster.local')!.routes[0];
  assert.equal(httpRoute.route.timeout, {});
  assert.is(httpRoute.route.retry_policy, undefined);
});

test('Envoy clusters: EDS over ADS, lb_policy only, a connect timeout, HTTP/2 for grpc and h2c ports', () => {
  for (const cluster of gateway.clusters) {
    assert.equal(cluster.eds_cluster_config, { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: cluster.name });
    assert.is(cluster.type, 'EDS');
    assert.is(cluster.load_balancing_policy, undefined);
    assert.equal(cluster.connect_timeout, { seconds: 5 });
  }
  const http2 = gateway.clusters.filter((cluster) => cluster.typed_extension_protocol_options).map((cluster) => cluster.name);
  assert.equal(http2, ['outbound|50051||echo.demo.svc.cluster.local', 'outbound|9000||greeter.demo.svc.cluster.local']);
  assert.equal(gateway.clusters[0]!.typed_extension_protocol_options, {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      explicit_http_config: { http2_protocol_options: {} },
    },
  });
});

test('sidecar: one 127.0.0.1 listener per distinct port, shared by the Services on it', () => {
  assert.equal(
    sidecar.listeners.map((listener) => [listener.name, listener.address.socket_address]),
    [
      ['sidecar_50051', { address: '127.0.0.1', port_value: 50051 }],
      ['sidecar_53', { address: '127.0.0.1', port_value: 53 }],
      ['sidecar_8080', { address: '127.0.0.1', port_value: 8080 }],
      ['sidecar_9000', { address: '127.0.0.1', port_value: 9000 }],
    ],
  );
  for (const listener of sidecar.listeners) {
    assert.is(listener.filter_chains[0].filters[0].typed_config.rds.route_config_name, listener.name);
  }
  const shared = virtualHosts(sidecar, 'sidecar_50051');
  assert.equal(
    shared.map((host) => host.name),
    ['outbound|50051||echo.demo.svc.cluster.local', 'outbound|50051||echo.staging.svc.cluster.local'],
  );
});

test('sidecar: domains are unique per RouteConfiguration; a multi-port Service keeps its port-less forms', () => {
  for (const route of sidecar.routes) assertUniqueDomains(route.virtual_hosts);
  const shared = virtualHosts(sidecar, 'sidecar_50051');
  assert.equal(domainsOf(shared, 'outbound|50051||echo.demo.svc.cluster.local'), [
    'echo.demo',
    'echo.demo:50051',
    'echo.demo.svc',
    'echo.demo.svc:50051',
    'echo.demo.svc.cluster.local',
    'echo.demo.svc.cluster.local:50051',
  ]);
  assert.ok(domainsOf(virtualHosts(sidecar, 'sidecar_8080'), 'outbound|8080||echo.demo.svc.cluster.local').includes('echo'));
});

test('gateway and sidecar share their clusters and endpoints', () => {
  assert.equal(sidecar.clusters, gateway.clusters);
  assert.equal(sidecar.endpoints, gateway.endpoints);
});

test('the access log option adds a stdout logger', () => {
  const logged: ResourceSet = buildResourceSet(sampleModel, 'gateway', envoyConfigOptions({ accessLog: true }));
  const [listener] = readableSet(logged).listeners;
  assert.equal(listener!.filter_chains[0].filters[0].typed_config.access_log, [
    {
      name: 'envoy.access_loggers.stdout',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog' },
    },
  ]);
});

test.run();
