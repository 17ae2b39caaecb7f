import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { defaultEnvoyConfigOptions, envoyBootstrapYaml, envoyConfigOptions, grpcBootstrap, roleMetadataKey } from '../../envoy-config/index.ts';

const envoyInput = { nodeId: 'pod-1', nodeCluster: 'demo', xdsHost: 'kube-xds.kube-xds.svc', xdsPort: 18000 };

test('gRPC bootstrap: locality is always present, cluster and metadata only when given', () => {
  const plain = grpcBootstrap({ serverUri: 'xds:18000', nodeId: 'client' });
  assert.equal(plain.node, { id: 'client', locality: {} });
  const full = grpcBootstrap({ serverUri: 'xds:18000', nodeId: 'client', zone: 'zone-a', nodeCluster: 'web', metadata: { team: 'a' } });
  assert.equal(full.node, { id: 'client', cluster: 'web', locality: { zone: 'zone-a' }, metadata: { team: 'a' } });
  assert.equal(full.xds_servers, [{ server_uri: 'xds:18000', channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }]);
});

test('Envoy bootstrap: the role is node metadata under the key the control plane reads', () => {
  for (const role of ['gateway', 'sidecar'] as const) {
    const bootstrap = parse(envoyBootstrapYaml({ role, ...envoyInput }));
    assert.equal(bootstrap.node, { id: 'pod-1', cluster: 'demo', metadata: { [roleMetadataKey]: role } });
    assert.is(roleMetadataKey, 'kube-xds.io/role');
  }
});

test('Envoy bootstrap: LDS and CDS over ADS from a static HTTP/2 xds_cluster', () => {
  const bootstrap = parse(envoyBootstrapYaml({ role: 'gateway', ...envoyInput }));
  assert.equal(bootstrap.dynamic_resources, {
    ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds_cluster' } }] },
    lds_config: { ads: {}, resource_api_version: 'V3' },
    cds_config: { ads: {}, resource_api_version: 'V3' },
  });
  const [cluster] = bootstrap.static_resources.clusters;
  assert.is(cluster.name, 'xds_cluster');
  assert.is(cluster.type, 'STRICT_DNS');
  assert.equal(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, {
    address: 'kube-xds.kube-xds.svc',
    port_value: 18000,
  });
  assert.ok(cluster.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config.http2_protocol_options);
  assert.ok(cluster.upstream_connection_options.tcp_keepalive);
});

test('Envoy bootstrap: admin on 9901, loopback-only for a sidecar, both overridable', () => {
  const admin = (input: Parameters<typeof envoyBootstrapYaml>[0]) => parse(envoyBootstrapYaml(input)).admin.address.socket_address;
  assert.equal(admin({ role: 'sidecar', ...envoyInput }), { address: '127.0.0.1', port_value: 9901 });
  assert.equal(admin({ role: 'gateway', ...envoyInput }), { address: '0.0.0.0', port_value: 9901 });
  assert.equal(admin({ role: 'gateway', ...envoyInput, adminPort: 9902, adminAddress: '127.0.0.1' }), { address: '127.0.0.1', port_value: 9902 });
});

test('builder options: defaults, overrides (undefined ones ignored), frozen', () => {
  const options = envoyConfigOptions({ gatewayPorts: [80, 443], clusterDomain: undefined });
  assert.equal(options.gatewayPorts, [80, 443]);
  assert.is(options.clusterDomain, 'cluster.local');
  assert.ok(Object.isFrozen(options) && Object.isFrozen(options.gatewayPorts) && Object.isFrozen(defaultEnvoyConfigOptions));
  assert.equal(envoyConfigOptions(), defaultEnvoyConfigOptions);
});

test.run();
