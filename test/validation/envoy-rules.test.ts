// The rules beyond protoc-gen-validate that Envoy's validator does not apply: gRPC clients'
// router rule, ours (ADS), durations with a field path. Envoy's own (unique domains, the
// router last, unique listener addresses) are proven on Envoy in test/interop/envoy-validate.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { envoy } from '../../generated/envoy.js';
import { checkEnvoyMessage } from '../support/envoy-check/index.ts';
import { apiListener, connectionManager, edsCluster, pack, routeConfiguration, routerFilter, socketListener } from './examples.ts';
import { found } from './found.ts';

const LISTENER = 'envoy.config.listener.v3.Listener';
const ROUTES = 'envoy.config.route.v3.RouteConfiguration';
const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const HCM = '<envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager>';

const faultFilter = { name: 'envoy.filters.http.fault', typed_config: pack(envoy.extensions.filters.http.fault.v3.HTTPFault, {}) };

test('valid examples pass', () => {
  assert.equal(checkEnvoyMessage(LISTENER, apiListener()), []);
  assert.equal(checkEnvoyMessage(LISTENER, socketListener()), []);
  assert.equal(checkEnvoyMessage(ROUTES, routeConfiguration()), []);
  assert.equal(checkEnvoyMessage(CLUSTER, edsCluster()), []);
});

test('an empty filter chain, or one not ending with the router (gRPC clients NACK both)', () => {
  const filtersPath = `api_listener.api_listener${HCM}.http_filters`;
  const check = (filters: unknown[]) => found(checkEnvoyMessage(LISTENER, apiListener(connectionManager({ http_filters: filters }))));
  assert.equal(check([]), [`${filtersPath} grpc.router_last`]);
  assert.equal(check([faultFilter]), [`${filtersPath} grpc.router_last`]);
  assert.equal(check([routerFilter(), faultFilter]), [`${filtersPath} grpc.router_last`]);
  assert.equal(check([faultFilter, routerFilter()]), []);
});

test('an HCM without stat_prefix, in an API listener and in a filter chain', () => {
  const hcm = connectionManager({ stat_prefix: undefined });
  assert.equal(found(checkEnvoyMessage(LISTENER, apiListener(hcm))), [`api_listener.api_listener${HCM}.stat_prefix string.min_len`]);
  assert.equal(found(checkEnvoyMessage(LISTENER, socketListener(50051, hcm))), [
    `filter_chains[0].filters[0].typed_config${HCM}.stat_prefix string.min_len`,
  ]);
});

test('RDS must come over ADS', () => {
  const rds = { route_config_name: 'r', config_source: { path_config_source: { path: '/etc/envoy/rds.yaml' } } };
  assert.equal(found(checkEnvoyMessage(LISTENER, apiListener(connectionManager({ rds })))), [
    `api_listener.api_listener${HCM}.rds.config_source kube-xds.ads_config_source`,
  ]);
});

test('an EDS cluster needs eds_cluster_config with an ADS config source', () => {
  assert.equal(found(checkEnvoyMessage(CLUSTER, edsCluster({ eds_cluster_config: undefined }))), ['eds_cluster_config.eds_config kube-xds.ads_config_source']);
  const fileEds = edsCluster({ eds_cluster_config: { eds_config: { path_config_source: { path: '/etc/envoy/eds.yaml' } } } });
  assert.equal(found(checkEnvoyMessage(CLUSTER, fileEds)), ['eds_cluster_config.eds_config kube-xds.ads_config_source']);
  assert.equal(checkEnvoyMessage(CLUSTER, edsCluster({ type: 'STATIC', eds_cluster_config: undefined })), []);
});

test('negative durations are rejected even where no PGV rule stands', () => {
  const routes = routeConfiguration({
    virtual_hosts: [{ name: 'foo', domains: ['foo'], routes: [{ match: { prefix: '' }, route: { cluster: 'c', timeout: { seconds: -1 } } }] }],
  });
  assert.equal(found(checkEnvoyMessage(ROUTES, routes)), ['virtual_hosts[0].routes[0].route.timeout envoy.duration_range']);
  assert.equal(found(checkEnvoyMessage(CLUSTER, edsCluster({ connect_timeout: { seconds: -1 } }))), [
    'connect_timeout duration.gt',
    'connect_timeout envoy.duration_range',
  ]);
});

test.run();
